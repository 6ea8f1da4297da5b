{#- Guide 08-openstack-compute / 09 step 51: the bridge that put instances
    on their network (nova-network's br100) is Open vSwitch today, driven
    by ovn-controller: this host becomes an OVN chassis. Its chassis name
    is the host's name (written before Open vSwitch first starts), its
    `hostname` is nova's host name (neutron binds a port only to the
    chassis of that name), its southbound database is the controller's,
    and the physical network `provider` is the bridge br-provider that holds
    this host's provider NIC. The management address is never on a bridge
    Open vSwitch serves: if ovs-vswitchd stops, Salt, GlusterFS and the
    databases keep working. #}
{%- from "map.jinja" import openstack, host, roles, urls, provider_nic, provider_vlan with context %}
{%- set net = openstack.network %}
{%- set bridges = net.bridges %}
{%- set netdev = net.datapath_type == 'netdev' %}
{%- set is_gateway = 'gateway' in host.get('roles', []) %}
{#- Only for ML2/OVN (openstack:network:driver); nothing otherwise. #}
{%- if openstack.network.driver == 'ovn' %}

# A stable chassis name: Debian's ovs-ctl keeps the system-id in this file
# and makes up a random one if it is missing at the first start.
ovn-chassis-system-id:
  file.managed:
    - name: /etc/openvswitch/system-id.conf
    - contents: {{ grains.id }}
    - makedirs: true
    - mode: "0644"
    - replace: false

ovn-chassis-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.ovn_chassis | json }}
    - require:
      - file: ovn-chassis-system-id

{%- if provider_nic %}

# The provider NIC is a switch port, not an address of this host: it is
# up (a VLAN of the LAN NIC is created first), and its kernel side answers
# no ARP for this host's addresses and accepts nothing routed back another
# way, so an instance cannot reach the host through it. A unit does it at
# every boot, before ovs-vswitchd opens the port.
ovn-chassis-provider-link-unit:
  file.managed:
    - name: /etc/systemd/system/openstack-provider-link.service
    - mode: "0644"
    - contents: |
        # Managed by Salt (ovn.chassis): the instances' wire, up before
        # Open vSwitch opens it.
        [Unit]
        Description=The provider network's NIC ({{ provider_nic }})
        Before=ovs-vswitchd.service
        After=network-pre.target
        [Service]
        Type=oneshot
        RemainAfterExit=yes
{%-   if provider_vlan %}
        ExecStart=/bin/sh -c 'ip link show {{ provider_nic }} >/dev/null 2>&1 || \
          ip link add link {{ host.interfaces.lan }} name {{ provider_nic }} type vlan id {{ provider_vlan }}'
{%-   endif %}
        ExecStart=/sbin/ip link set {{ provider_nic }} up
        [Install]
        WantedBy=multi-user.target

ovn-chassis-provider-link:
  service.running:
    - name: openstack-provider-link
    - enable: true
    - require:
      - file: ovn-chassis-provider-link-unit
    - watch:
      - file: ovn-chassis-provider-link-unit

ovn-chassis-provider-nic-sysctls:
  sysctl.present:
    - names:
      - net.ipv4.conf.{{ provider_nic | replace('.', '/') }}.arp_ignore:
        - value: 1
      - net.ipv4.conf.{{ provider_nic | replace('.', '/') }}.rp_filter:
        - value: 1
      - net.ipv6.conf.{{ provider_nic | replace('.', '/') }}.disable_ipv6:
        - value: 1
    - config: /etc/sysctl.d/60-openstack-provider.conf
    - require:
      - service: ovn-chassis-provider-link
{%- endif %}

# Open vSwitch's database first: the switch's options are in it before
# ovs-vswitchd first starts.
ovn-chassis-ovsdb-service:
  service.running:
    - name: {{ openstack.units.ovsdb }}
    - require:
      - pkg: ovn-chassis-packages
{%- if netdev %}

# The userspace datapath (no openvswitch kernel module): without TSO
# support it hands on TCP segments whose checksums the sending kernel
# left to the NIC, and the receiver drops them (seen here with OVS 3.1
# and 3.5: ping passed between two veth ports, TCP did not; with this
# option both passed). Read at ovs-vswitchd's start: restarted if it runs.
ovn-chassis-userspace-tso:
  cmd.run:
    - name: ovs-vsctl --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
    - unless: test "$(ovs-vsctl --no-wait get Open_vSwitch . other_config:userspace-tso-enable 2>/dev/null)" = '"true"'
    - require:
      - service: ovn-chassis-ovsdb-service

ovn-chassis-ovs-vswitchd-restart:
  cmd.run:
    - name: systemctl try-restart {{ openstack.units.ovs_vswitchd }}
    - onchanges:
      - cmd: ovn-chassis-userspace-tso
{%- endif %}

ovn-chassis-ovs-service:
  service.running:
    - name: {{ openstack.units.ovs }}
    - enable: true
    - require:
      - service: ovn-chassis-ovsdb-service
{%- if netdev %}
      - cmd: ovn-chassis-ovs-vswitchd-restart
{%- endif %}

# nova-compute (user nova) plugs instances' ports through the database, on
# the loopback address only (its unix socket is root's): os-vif's own
# default, as DevStack and Kolla set it.
ovn-chassis-local-manager:
  cmd.run:
    - name: ovs-vsctl set-manager ptcp:6640:127.0.0.1
    - unless: ovs-vsctl get-manager | grep -qx 'ptcp:6640:127.0.0.1'
    - require:
      - service: ovn-chassis-ovs-service

ovn-chassis-provider-bridge:
  ovn.bridge:
    - name: {{ bridges.provider }}
    - datapath_type: {{ net.datapath_type }}
    - ports: {{ ([provider_nic] if provider_nic else []) | json }}
    - require:
      - service: ovn-chassis-ovs-service
{%- if provider_nic %}
      - service: ovn-chassis-provider-link
{%- endif %}

{%- set ids = {
      'hostname': grains.id,
      'ovn-remote': urls.ovn_sb,
      'ovn-encap-type': net.ovn.encap_type,
      'ovn-encap-ip': host.ip,
      'ovn-bridge': bridges.integration,
      'ovn-bridge-mappings': openstack.network.provider.physical_network ~ ':' ~ bridges.provider,
      'ovn-bridge-datapath-type': net.datapath_type,
    } %}
{#- The gateway may host routers' external ports (self-service networks). #}
{%- if is_gateway %}
{%-   do ids.update({'ovn-cms-options': 'enable-chassis-as-gw'}) %}
{%- endif %}

# What ovn-controller reads from the local Open vSwitch database: who this
# chassis is and where its southbound database is. It creates br-int
# itself (of the datapath type given) and follows changes here at once.
ovn-chassis-external-ids:
  ovn.ovs_external_ids:
    - ids: {{ ids | json }}
    - require:
      - ovn: ovn-chassis-provider-bridge

ovn-chassis-controller-service:
  service.running:
    - name: {{ openstack.units.ovn_controller }}
    - enable: true
    - require:
      - ovn: ovn-chassis-external-ids

{%- if is_gateway %}
{%-   set provider = openstack.network.provider %}

# Guide 09 step 51: the instances' default gateway (the provider subnet's
# gateway_ip) is this host, as nova-network's br100 was: the address sits
# on the provider bridge's own port, set again at every boot once Open
# vSwitch has the bridge.
ovn-chassis-gateway-address-unit:
  file.managed:
    - name: /etc/systemd/system/openstack-provider-gateway.service
    - mode: "0644"
    - contents: |
        # Managed by Salt (ovn.chassis): the provider network's router
        # address on this gateway.
        [Unit]
        Description=The provider network's router address ({{ provider.gateway }})
        After=openvswitch-switch.service
        Requires=openvswitch-switch.service
        [Service]
        Type=oneshot
        RemainAfterExit=yes
        ExecStart=/bin/sh -c 'for i in $(seq 30); do ip link show {{ bridges.provider }} >/dev/null 2>&1 && break; sleep 1; done'
        ExecStart=/sbin/sysctl -q -w net.ipv6.conf.{{ bridges.provider }}.disable_ipv6=1
        ExecStart=/sbin/ip link set {{ bridges.provider }} up
        ExecStart=/sbin/ip address replace {{ provider.gateway }}/{{ provider.cidr.split('/')[1] }} dev {{ bridges.provider }}
        [Install]
        WantedBy=multi-user.target

ovn-chassis-gateway-address:
  service.running:
    - name: openstack-provider-gateway
    - enable: true
    - require:
      - ovn: ovn-chassis-provider-bridge
    - watch:
      - file: ovn-chassis-gateway-address-unit
{%- endif %}
{%- endif %}
