# The host map (the guide's config/hosts). The key of each host is its host
# name and its Salt minion id. Roles: controller (exactly one), compute (runs
# instances and holds a GlusterFS brick), gateway (exactly one, also a compute
# host, with a public interface: NAT, DHCP, VNC proxy, dashboard).
# Interfaces: `lan` (every host), `public` (the gateway), `provider` (the
# compute hosts: the NIC of the instances' network, on the host's OVS bridge;
# none, or the LAN NIC, means a VLAN on the LAN). The controller runs no
# instances: no provider NIC.
openstack:
  hosts:
    compute1:
      ip: 192.168.0.1
      aliases: [gateway]
      roles: [compute, gateway]
      interfaces:
        public: eth0
        lan: eth1
        provider: eth2
    compute2:
      ip: 192.168.0.2
      roles: [compute]
      interfaces:
        lan: eth1
        provider: eth0
    compute3:
      ip: 192.168.0.3
      roles: [compute]
      interfaces:
        lan: eth1
        provider: eth0
    compute4:
      ip: 192.168.0.4
      roles: [compute]
      interfaces:
        lan: eth1
        provider: eth0
    controller:
      ip: 192.168.0.5
      roles: [controller]
      interfaces:
        lan: eth0
