# The controller (guide: 03-glusterfs-controller, 07-openstack-controller):
# the control plane. Each concern is its own SLS; later stages add theirs.
include:
  - common
