# Every host of the cloud, whatever its role (guide: the *-all steps).
include:
  - common.packaging
  - common.repos
  - common.selinux
  - common.hosts
  - common.time
  - common.nova_user
  # issue 13: the project CA among the host's trusted ones
  - tls
