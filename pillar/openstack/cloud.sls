# The cloud (the guide's config/configrc and config/ntp.conf, minus the
# passwords: those are generated into pillar/secrets/generated.sls, or set by
# you in pillar/local.sls). pillar.example documents every key.
openstack:
  release: zed
  region: RegionOne
  admin:
    username: admin
    project: admin
  # The gateway's address on the public network (noVNC proxy, dashboard).
  public_ip: 128.250.26.161
  # Where instances' metadata requests end up: the nova metadata API.
  metadata_host: 192.168.0.5
  # One entry per OpenStack service: does it have a database, a service user?
  services:
    keystone: {database: true, user: false}
    glance: {database: true, user: true}
    placement: {database: true, user: true}
    nova: {database: true, user: true}
    neutron: {database: true, user: true}
    cinder: {database: true, user: true}
  network:
    lan_cidr: 192.168.0.0/24
    # Hosts other than the gateway send their traffic out through it.
    route_via_gateway: true
    provider:
      name: provider
      physical_network: provider
      bridge: br100
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
  # nova's uid/gid on every host (files on the shared volume have one owner).
  nova:
    uid: 162
    gid: 162
  compute:
    # kvm | qemu | auto (kvm where the CPU and /dev/kvm allow it)
    virt_type: auto
  cinder:
    volume_group: nova-volumes
    lvm_backend: true
  ntp:
    servers:
      - 0.pool.ntp.org
      - 1.pool.ntp.org
      - 2.pool.ntp.org
