{#- Guide 09-openstack-gateway step 51's nova-network bridged instances onto
    eth1 through br100; on Zed (openstack:network:driver linuxbridge) the
    neutron linuxbridge agent on every compute host does it: the provider
    network (openstack:network:provider) is mapped onto a Linux bridge of
    this tree's (openstack:network:bridges:provider, br-provider) that holds
    the host's provider NIC (interfaces:provider, or a VLAN of its LAN NIC)
    from boot on. No security-group filtering is lost: the agent applies
    security groups with iptables. #}
{%- from "map.jinja" import openstack, host, urls, provider_nic, provider_vlan with context %}
{%- from "macros.jinja" import config_file with context %}
{%- if openstack.network.driver == 'linuxbridge' %}
{%-   set bridge = openstack.network.bridges.provider %}

# The provider network's bridge, with the NIC in it, before the agent
# starts (the agent's bridge_mappings). Left to the agent (its
# physical_interface_mappings), the NIC joined a bridge of the agent's only
# when the host's first instance port was wired: QEMU's announcement of a
# guest live-migrated onto a host for the first time went into a bridge
# without its uplink (seen in the lab: nova sent it at 07:40:36.3, the agent
# added eth0 at 07:40:37.7) and the guest was unreachable for minutes.
neutron-agent-provider-bridge-unit:
  file.managed:
    - name: /etc/systemd/system/openstack-provider-bridge.service
    - mode: "0644"
    - contents: |
        # Managed by Salt (neutron.linuxbridge): the instances' wire, a
        # bridge before the linuxbridge agent starts.
        [Unit]
        Description=The provider network's bridge {{ bridge }} ({{ provider_nic }})
        Before=neutron-linuxbridge-agent.service neutron-dhcp-agent.service
        After=network-pre.target
        [Service]
        Type=oneshot
        RemainAfterExit=yes
{%-   if provider_vlan %}
        ExecStart=/bin/sh -c 'ip link show {{ provider_nic }} >/dev/null 2>&1 || \
          ip link add link {{ host.interfaces.lan }} name {{ provider_nic }} type vlan id {{ provider_vlan }}'
{%-   endif %}
        ExecStart=/bin/sh -c 'ip link show {{ bridge }} >/dev/null 2>&1 || \
          ip link add {{ bridge }} type bridge'
        ExecStart=/sbin/ip link set {{ provider_nic }} master {{ bridge }}
        ExecStart=/sbin/ip link set {{ provider_nic }} up
        ExecStart=/sbin/ip link set {{ bridge }} up
        [Install]
        WantedBy=multi-user.target

neutron-agent-provider-bridge:
  service.running:
    - name: openstack-provider-bridge
    - enable: true
    - require:
      - file: neutron-agent-provider-bridge-unit
    - watch:
      - file: neutron-agent-provider-bridge-unit
    - require_in:
      - service: neutron-agent-service

neutron-agent-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.neutron_agent | json }}

{{ config_file('neutron-agent-config', 'neutron', 'neutron.conf', {
     'DEFAULT': {'transport_url': urls.transport, 'auth_strategy': 'keystone'},
     'oslo_concurrency': {'lock_path': '/var/lib/neutron/tmp'},
     'experimental': {'linuxbridge': true},
   }, 'neutron-agent-packages') }}

{{ config_file('neutron-agent-linuxbridge', 'neutron', 'linuxbridge_agent.ini', {
     'linux_bridge': {'bridge_mappings':
                      openstack.network.provider.physical_network ~ ':' ~ bridge,
                      'physical_interface_mappings': ''},
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
