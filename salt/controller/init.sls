# The controller (guide 03-glusterfs-controller, 07-openstack-controller):
# the control plane, a GlusterFS peer without a brick that creates the volume
# and mounts it. Later stages add the OpenStack services.
include:
  - common
  - network.route
  - glusterfs.server
  - glusterfs.peers
  - glusterfs.volume
  - glusterfs.mount
