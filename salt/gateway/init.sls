# The gateway (guide 01-network-gateway, 09-openstack-gateway): a compute
# host with a public interface that NATs the LAN out and runs the DHCP and
# metadata agents, the noVNC proxy and the dashboard.
#
# The SLS it includes are the steps of salt/stages.yaml that target the
# role, in the table's order: the same ones the orchestration applies.
{%- from "stages.jinja" import role_sls with context %}
include: {{ role_sls.gateway | json }}
