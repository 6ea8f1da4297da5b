# The cloud (the guide's config/configrc and config/ntp.conf, minus the
# passwords: those are generated into pillar/secrets/generated.sls, or set by
# you in pillar/local.sls). Only the site's values are here: everything else
# has its default in salt/defaults.yaml. pillar.example documents every key.
openstack:
  region: RegionOne
  admin:
    username: admin
    project: admin
  # The gateway's address on the public network (noVNC proxy, dashboard).
  public_ip: 128.250.26.161
  # One entry per OpenStack service: does it have a service user (and so a
  # <service>_password)?
  services:
    keystone: {user: false}
    glance: {user: true}
    placement: {user: true}
    nova: {user: true}
    neutron: {user: true}
    cinder: {user: true}
  network:
    lan_cidr: 192.168.0.0/24
    # Hosts other than the gateway send their traffic out through it.
    route_via_gateway: true
    provider:
      name: provider
      physical_network: provider
      cidr: 10.0.0.0/24
      gateway: 10.0.0.1
      allocation_pool:
        start: 10.0.0.10
        end: 10.0.0.250
      dns_nameservers: []
  storage:
    volume: vm-instances
    brick_path: /export/gluster
    brick_device: null
    replica: 4
    mountpoint: /var/lib/nova/instances
  cinder:
    volume_group: nova-volumes
    lvm_backend: true
  ntp:
    servers:
      - 0.pool.ntp.org
      - 1.pool.ntp.org
      - 2.pool.ntp.org
