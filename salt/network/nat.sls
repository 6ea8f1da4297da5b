{#- Guide 01-network-gateway steps 1-2 (01-iptables-nat.sh,
    02-ip-forward.sh): the gateway forwards the LAN's traffic out of its
    public interface with NAT, so hosts with only a LAN address reach the
    package mirrors. Unlike the guide, nothing is flushed: these rules are
    added next to whatever is there, checked one by one, and saved so they
    survive a reboot. Renders nothing on hosts that are not the gateway. #}
{%- from "map.jinja" import openstack, host, provider_nic with context %}
{%- if 'gateway' in host.get('roles', []) %}
{%-   set lan = openstack.network.lan_cidr %}
{%-   set lan_if = host.interfaces.lan %}
{%-   set public_if = host.interfaces.public %}

network-nat-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.firewall | json }}

# Step 2: the kernel forwards packets between interfaces (persisted in
# /etc/sysctl.d, so it holds after a reboot). A per-network-namespace
# setting: in a container it is the container's own.
network-nat-ip-forward:
  sysctl.present:
    - name: net.ipv4.ip_forward
    - value: 1
    - config: /etc/sysctl.d/60-openstack-gateway.conf

{#- The networks that leave through the gateway: the LAN (guide step 1)
    and the instances' provider network (guide 09 step 51: nova-network's
    br100 NAT). Rules match the source network and the public interface,
    not the interface a packet comes in on: that is a bridge (OVN's
    br-provider, the linuxbridge agent's brq...). #}
{%-   set provider = openstack.network.provider %}
{%-   for net_id, cidr in (('lan', lan), ('provider', provider.cidr)) %}

# Step 1: rewrite the {{ net_id }} network's source addresses to the
# gateway's public one.
network-nat-masquerade-{{ net_id }}:
  iptables.append:
    - table: nat
    - chain: POSTROUTING
    - source: {{ cidr }}
    - out-interface: {{ public_if }}
    - jump: MASQUERADE
    - comment: "openstack-salt: {{ net_id }} out through the gateway"
    - save: true
    - require:
      - pkg: network-nat-packages

# Step 1: let the {{ net_id }} network's packets out.
network-nat-forward-{{ net_id }}:
  iptables.append:
    - table: filter
    - chain: FORWARD
    - source: {{ cidr }}
    - out-interface: {{ public_if }}
    - jump: ACCEPT
    - comment: "openstack-salt: {{ net_id }} to the outside"
    - save: true
    - require:
      - pkg: network-nat-packages
{%-   endfor %}

# Step 1: and the answers back in.
network-nat-forward-back:
  iptables.append:
    - table: filter
    - chain: FORWARD
    - in-interface: {{ public_if }}
    - match: conntrack
    - ctstate: RELATED,ESTABLISHED
    - jump: ACCEPT
    - comment: "openstack-salt: answers back in"
    - save: true
    - require:
      - pkg: network-nat-packages

{#- The instances' network is no part of the LAN: the gateway forwards
    nothing between the two, in either direction (what is not the
    answer to a connection from the provider network to the outside is
    dropped), and answers nothing an instance opens to the gateway itself,
    on any of its addresses. (Issue 12: an instance reached MariaDB,
    RabbitMQ, memcached, glusterd and every brick port.) #}
network-nat-provider-no-forward-out:
  iptables.append:
    - table: filter
    - chain: FORWARD
    - source: {{ provider.cidr }}
    - jump: DROP
    - comment: "openstack-salt: provider network only to the outside"
    - save: true
    - require:
      - iptables: network-nat-forward-provider
      - iptables: network-nat-forward-back

network-nat-provider-no-forward-in:
  iptables.append:
    - table: filter
    - chain: FORWARD
    - destination: {{ provider.cidr }}
    - jump: DROP
    - comment: "openstack-salt: nothing new into the provider network"
    - save: true
    - require:
      - iptables: network-nat-forward-back

network-nat-provider-input-answers:
  iptables.append:
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
      - pkg: network-nat-packages

network-nat-provider-input-drop:
  iptables.append:
    - table: filter
    - chain: INPUT
    - source: {{ provider.cidr }}
    - in-interface: "! lo"
    - jump: DROP
    - comment: "openstack-salt: the gateway serves no instance"
    - save: true
    - require:
      - iptables: network-nat-provider-input-answers
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

# The saved rules are loaded at boot.
network-nat-persist-service:
  service.enabled:
    - name: {{ openstack.units.firewall }}
    - require:
      - pkg: network-nat-packages
{%- endif %}
