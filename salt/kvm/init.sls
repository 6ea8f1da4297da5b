# The guide's 05-kvm-compute (steps 11-15): the hypervisor on compute hosts.
include:
  - kvm.packages
  - kvm.module
  - kvm.libvirt
