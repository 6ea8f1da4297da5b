# The gateway (guide: 01-network-gateway, 09-openstack-gateway): a compute
# host with a public interface. Later stages add NAT, agents and dashboard.
include:
  - common
