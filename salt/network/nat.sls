{#- Guide 01-network-gateway steps 1-2 (01-iptables-nat.sh,
    02-ip-forward.sh): the gateway forwards the LAN's traffic out of its
    public interface with NAT, so hosts with only a LAN address reach the
    package mirrors. The NAT and the forwarding rules themselves are the
    host firewall's now (salt/firewall: the nftables table inet
    openstack_salt, with its forward and NAT chains on the gateway); this
    SLS keeps the kernel's forwarding and, on Zed, the instances' router
    address, and takes out the iptables rules it used to add (issue 13),
    once the firewall's table is loaded. Renders nothing on hosts that are
    not the gateway. #}
{%- from "map.jinja" import openstack, host, provider_nic with context %}
{%- if 'gateway' in host.get('roles', []) %}
{%-   set lan = openstack.network.lan_cidr %}
{%-   set public_if = host.interfaces.public %}
{%-   set provider = openstack.network.provider %}

include:
  - firewall

# Step 2: the kernel forwards packets between interfaces (persisted in
# /etc/sysctl.d, so it holds after a reboot). A per-network-namespace
# setting: in a container it is the container's own.
network-nat-ip-forward:
  sysctl.present:
    - name: net.ipv4.ip_forward
    - value: 1
    - config: /etc/sysctl.d/60-openstack-gateway.conf

{#- Issue 13: the iptables rules this SLS added before the firewall had
    its own table (steps 1 and 51: NAT and forwarding; issue 12: the
    provider network kept from the LAN and from the gateway itself), each
    deleted by its exact former specification, comment included, so no
    other rule of the host is touched; the saved rules
    (iptables-persistent's, iptables-services') are saved without them.
    Nothing to do on a host that never had them. The iptables command
    stays installed for this. #}
network-nat-iptables-cleanup-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.firewall_cleanup | json }}
    - reload_modules: true
{%-   for net_id, cidr in (('lan', lan), ('provider', provider.cidr)) %}

network-nat-old-masquerade-{{ net_id }}:
  iptables.delete:
    - table: nat
    - chain: POSTROUTING
    - source: {{ cidr }}
    - out-interface: {{ public_if }}
    - jump: MASQUERADE
    - comment: "openstack-salt: {{ net_id }} out through the gateway"
    - save: true
    - require:
      - pkg: network-nat-iptables-cleanup-packages
      - cmd: firewall-loaded

network-nat-old-forward-{{ net_id }}:
  iptables.delete:
    - table: filter
    - chain: FORWARD
    - source: {{ cidr }}
    - out-interface: {{ public_if }}
    - jump: ACCEPT
    - comment: "openstack-salt: {{ net_id }} to the outside"
    - save: true
    - require:
      - pkg: network-nat-iptables-cleanup-packages
      - cmd: firewall-loaded
{%-   endfor %}

network-nat-old-forward-back:
  iptables.delete:
    - table: filter
    - chain: FORWARD
    - in-interface: {{ public_if }}
    - match: conntrack
    - ctstate: RELATED,ESTABLISHED
    - jump: ACCEPT
    - comment: "openstack-salt: answers back in"
    - save: true
    - require:
      - pkg: network-nat-iptables-cleanup-packages
      - cmd: firewall-loaded

network-nat-old-provider-no-forward-out:
  iptables.delete:
    - table: filter
    - chain: FORWARD
    - source: {{ provider.cidr }}
    - jump: DROP
    - comment: "openstack-salt: provider network only to the outside"
    - save: true
    - require:
      - pkg: network-nat-iptables-cleanup-packages
      - cmd: firewall-loaded

network-nat-old-provider-no-forward-in:
  iptables.delete:
    - table: filter
    - chain: FORWARD
    - destination: {{ provider.cidr }}
    - jump: DROP
    - comment: "openstack-salt: nothing new into the provider network"
    - save: true
    - require:
      - pkg: network-nat-iptables-cleanup-packages
      - cmd: firewall-loaded

network-nat-old-provider-input-answers:
  iptables.delete:
    - table: filter
    - chain: INPUT
    - source: {{ provider.cidr }}
    - in-interface: "! lo"
    - match: conntrack
    - ctstate: RELATED,ESTABLISHED
    - jump: ACCEPT
    - comment: "openstack-salt: answers from the provider network"
    - save: true
    - require:
      - pkg: network-nat-iptables-cleanup-packages
      - cmd: firewall-loaded

network-nat-old-provider-input-drop:
  iptables.delete:
    - table: filter
    - chain: INPUT
    - source: {{ provider.cidr }}
    - in-interface: "! lo"
    - jump: DROP
    - comment: "openstack-salt: the gateway serves no instance"
    - save: true
    - require:
      - pkg: network-nat-iptables-cleanup-packages
      - cmd: firewall-loaded
{%-   if openstack.network.driver == 'linuxbridge' %}

# Guide 09 step 51: the instances' default gateway (the provider subnet's
# gateway_ip) is this host, on the provider NIC, as nova-network's br100
# was. Added to the interface that carries it now: the NIC, or the bridge
# neutron's agent has enslaved it to (the agent moves addresses there).
# Checked on every highstate, so a reboot is healed by the next one. (With
# OVN the address is on the provider bridge: ovn.chassis.)
network-nat-provider-gateway:
  cmd.run:
    - name: >-
        dev={{ provider_nic }};
        if [ -e /sys/class/net/{{ provider_nic }}/master ]; then
        dev=$(basename "$(readlink /sys/class/net/{{ provider_nic }}/master)"); fi;
        ip link set {{ provider_nic }} up;
        ip address add {{ provider.gateway }}/{{ provider.cidr.split('/')[1] }} dev "$dev"
    - unless: ip -o -4 address show | grep -q ' inet {{ provider.gateway }}/'
    - shell: /bin/bash
{%-   endif %}
{%- endif %}
