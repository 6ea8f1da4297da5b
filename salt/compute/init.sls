# A compute host (guide: 05-kvm-compute, 08-openstack-compute): runs
# instances and holds a GlusterFS brick. Later stages add their concerns.
include:
  - common
