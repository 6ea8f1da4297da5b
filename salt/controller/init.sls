# The controller (guide 03-glusterfs-controller, 07-openstack-controller):
# a GlusterFS peer without a brick that creates the volume and mounts it, and
# the control plane: database, message queue, identity, images, placement,
# compute API, network server, block storage; then the post-deploy objects
# (guide 09 steps 52-53).
#
# The SLS it includes are the steps of salt/stages.yaml that target the
# role, in the table's order: the same ones the orchestration applies.
{%- from "stages.jinja" import role_sls with context %}
include: {{ role_sls.controller | json }}
