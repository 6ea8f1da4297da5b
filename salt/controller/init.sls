# The controller (guide 03-glusterfs-controller, 07-openstack-controller):
# a GlusterFS peer without a brick that creates the volume and mounts it, and
# the control plane: database, message queue, identity, images, placement,
# compute API, network server, block storage.
include:
  - common
  - network.route
  - glusterfs.server
  - glusterfs.peers
  - glusterfs.volume
  - glusterfs.mount
  - database
  - messaging
  - keystone
  - glance
  - glance.images
  - placement
  - nova.controller
  - neutron.server
  - cinder
