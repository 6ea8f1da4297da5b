# A compute host (guide 02/04-glusterfs-all, 05-kvm-compute,
# 08-openstack-compute): holds a GlusterFS brick, mounts the volume, runs
# instances under KVM/QEMU with nova-compute and the neutron linuxbridge agent.
include:
  - common
  - network.route
  - glusterfs.server
  - glusterfs.brick
  - glusterfs.mount
  - kvm
  - kvm.migration
  - nova.compute
  - neutron.agent
