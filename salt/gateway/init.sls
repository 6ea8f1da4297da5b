# The gateway (guide 01-network-gateway, 09-openstack-gateway): a compute
# host with a public interface that NATs the LAN out and runs the DHCP and
# metadata agents, the noVNC proxy and the dashboard.
include:
  - network.nat
  - neutron.gateway
  - nova.novncproxy
  - horizon
