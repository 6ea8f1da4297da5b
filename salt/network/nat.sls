{#- Guide 01-network-gateway steps 1-2 (01-iptables-nat.sh,
    02-ip-forward.sh): the gateway forwards the LAN's traffic out of its
    public interface with NAT, so hosts with only a LAN address reach the
    package mirrors. Unlike the guide, nothing is flushed: these rules are
    added next to whatever is there, checked one by one, and saved so they
    survive a reboot. Renders nothing on hosts that are not the gateway. #}
{%- from "map.jinja" import openstack, host with context %}
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

# Step 1: rewrite the LAN's source addresses to the gateway's public one.
network-nat-masquerade:
  iptables.append:
    - table: nat
    - chain: POSTROUTING
    - source: {{ lan }}
    - out-interface: {{ public_if }}
    - jump: MASQUERADE
    - comment: "openstack-salt: LAN out through the gateway"
    - save: true
    - require:
      - pkg: network-nat-packages

# Step 1: let the LAN's packets through, and the answers back.
network-nat-forward-out:
  iptables.append:
    - table: filter
    - chain: FORWARD
    - in-interface: {{ lan_if }}
    - out-interface: {{ public_if }}
    - source: {{ lan }}
    - jump: ACCEPT
    - comment: "openstack-salt: LAN to the outside"
    - save: true
    - require:
      - pkg: network-nat-packages

network-nat-forward-back:
  iptables.append:
    - table: filter
    - chain: FORWARD
    - in-interface: {{ public_if }}
    - out-interface: {{ lan_if }}
    - match: conntrack
    - ctstate: RELATED,ESTABLISHED
    - jump: ACCEPT
    - comment: "openstack-salt: answers back to the LAN"
    - save: true
    - require:
      - pkg: network-nat-packages

# The saved rules are loaded at boot.
network-nat-persist-service:
  service.enabled:
    - name: {{ openstack.units.firewall }}
    - require:
      - pkg: network-nat-packages
{%- endif %}
