{#- Guide 09-openstack-gateway step 51 (nova-network with dnsmasq on the
    gateway): the DHCP agent (dnsmasq per network) and the metadata agent,
    which passes instances' requests for 169.254.169.254 to nova's metadata
    API on the controller, signed with the shared secret. #}
{%- from "map.jinja" import openstack, controller with context %}
{%- from "macros.jinja" import config_file with context %}
{#- With ML2/OVN every chassis answers DHCP and metadata itself: nothing
    here. #}
{%- if openstack.network.driver == 'linuxbridge' %}

neutron-gateway-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.neutron_gateway | json }}

{{ config_file('neutron-gateway-dhcp', 'neutron', 'dhcp_agent.ini', {
     'DEFAULT': {'interface_driver': 'linuxbridge',
                 'dhcp_driver': 'neutron.agent.linux.dhcp.Dnsmasq',
                 'enable_isolated_metadata': true},
   }, 'neutron-gateway-packages') }}

{{ config_file('neutron-gateway-metadata', 'neutron', 'metadata_agent.ini', {
     'DEFAULT': {'nova_metadata_host': controller,
                 'metadata_proxy_shared_secret': openstack.secrets.metadata_proxy_secret},
   }, 'neutron-gateway-packages') }}

neutron-gateway-services:
  service.running:
    - names: {{ openstack.units.neutron_gateway | json }}
    - enable: true
    - watch:
      - openstack_config: neutron-gateway-dhcp
      - openstack_config: neutron-gateway-metadata
      - openstack_config: neutron-agent-config

include:
  - neutron.agent
{%- endif %}
