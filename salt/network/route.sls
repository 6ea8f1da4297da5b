{#- Guide 5.4.1 (network configuration at install time): every host but the
    gateway sends its traffic out through the gateway's LAN address. Enforced
    on the running system when openstack:network:route_via_gateway is true;
    the boot-time configuration stays the host's own (ifupdown,
    NetworkManager). Renders nothing on the gateway. #}
{%- from "map.jinja" import openstack, host, gateway with context %}
{%- if openstack.network.route_via_gateway and gateway and 'gateway' not in host.get('roles', []) %}
{%-   set via = openstack.hosts[gateway].ip %}

{#- No device named: once neutron's linuxbridge agent bridges the LAN
    interface (brq...), the address and this route move to the bridge. #}
network-route-default-via-gateway:
  cmd.run:
    - name: ip route replace default via {{ via }}
    - unless: ip route show default | grep -q '^default via {{ via }} '
{%- endif %}
