{#- Guide 09-openstack-gateway step 51's nova-network bridged instances onto
    eth1 through br100; on Zed (openstack:network:driver linuxbridge) the
    neutron linuxbridge agent on every compute host does it: the provider
    network (openstack:network:provider) is mapped onto the host's provider
    NIC (interfaces:provider, or a VLAN of its LAN NIC). No security-group
    filtering is lost: the agent applies security groups with iptables. #}
{%- from "map.jinja" import openstack, host, urls, provider_nic with context %}
{%- from "macros.jinja" import config_file with context %}
{%- if openstack.network.driver == 'linuxbridge' %}

neutron-agent-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.neutron_agent | json }}

{{ config_file('neutron-agent-config', 'neutron', 'neutron.conf', {
     'DEFAULT': {'transport_url': urls.transport, 'auth_strategy': 'keystone'},
     'oslo_concurrency': {'lock_path': '/var/lib/neutron/tmp'},
     'experimental': {'linuxbridge': true},
   }, 'neutron-agent-packages') }}

{{ config_file('neutron-agent-linuxbridge', 'neutron', 'linuxbridge_agent.ini', {
     'linux_bridge': {'physical_interface_mappings':
                      openstack.network.provider.physical_network ~ ':' ~ provider_nic},
     'vxlan': {'enable_vxlan': false},
     'securitygroup': {'enable_security_group': true,
                       'firewall_driver': 'neutron.agent.linux.iptables_firewall.IptablesFirewallDriver'},
   }, 'neutron-agent-packages') }}

# ebtables-nft cannot delete the agent's --among-src (ARP/MAC spoofing)
# rules by their specification, and the agent retries such a delete
# forever: seen in the lab, a host wired no new port after one of its
# instances was deleted or migrated away. A wrapper first in PATH deletes
# such a rule by its position (salt/neutron/files/ebtables-wrapper.sh).
neutron-agent-ebtables-wrapper:
  file.managed:
    - name: /usr/local/sbin/ebtables
    - source: salt://neutron/files/ebtables-wrapper.sh
    - mode: "0755"
    - watch_in:
      - service: neutron-agent-service

neutron-agent-service:
  service.running:
    - names: {{ openstack.units.neutron_agent | json }}
    - enable: true
    - watch:
      - openstack_config: neutron-agent-config
      - openstack_config: neutron-agent-linuxbridge
{%- endif %}
