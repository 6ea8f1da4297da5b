# A compute host (guide 02/04-glusterfs-all, 05-kvm-compute,
# 08-openstack-compute): holds a GlusterFS brick, mounts the volume, runs
# instances under KVM/QEMU with nova-compute and the network agent.
#
# The SLS it includes are the steps of salt/stages.yaml that target the
# role, in the table's order: the same ones the orchestration applies.
{%- from "stages.jinja" import role_sls with context %}
include: {{ role_sls.compute | json }}
