# The host map (the guide's config/hosts). The key of each host is its host
# name and its Salt minion id. Roles: controller (exactly one), compute (runs
# instances and holds a GlusterFS brick), gateway (exactly one, also a compute
# host, with a public interface: NAT, DHCP, VNC proxy, dashboard).
openstack:
  hosts:
    compute1:
      ip: 192.168.0.1
      aliases: [gateway]
      roles: [compute, gateway]
      interfaces:
        lan: eth1
        public: eth0
    compute2:
      ip: 192.168.0.2
      roles: [compute]
      interfaces:
        lan: eth1
    compute3:
      ip: 192.168.0.3
      roles: [compute]
      interfaces:
        lan: eth1
    compute4:
      ip: 192.168.0.4
      roles: [compute]
      interfaces:
        lan: eth1
    controller:
      ip: 192.168.0.5
      roles: [controller]
      interfaces:
        lan: eth0
