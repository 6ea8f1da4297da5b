{#- Guide 08-openstack-compute / 09-openstack-gateway step 51: what wires a
    compute host's instances to their network, by network driver
    (openstack:network:driver, the release's: salt/releases.yaml):
    - ovn: the host is an OVN chassis (ovn.chassis: Open vSwitch and
      ovn-controller; DHCP is answered by ovn-controller itself) with
      neutron's OVN metadata agent (neutron.ovn_metadata);
    - linuxbridge (Zed): neutron's linuxbridge agent (neutron.linuxbridge). #}
{%- from "map.jinja" import openstack with context %}
include:
{%- if openstack.network.driver == 'ovn' %}
  - neutron.ovn_metadata
{%- else %}
  - neutron.linuxbridge
{%- endif %}
