# The guide's 01-network-gateway: NAT on the gateway, the other hosts'
# default route through it.
include:
  - network.nat
  - network.route
