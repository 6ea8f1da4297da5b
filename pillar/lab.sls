# The lab (issue 3): the guide's hosts as LXC containers on this machine.
# pillar/top.sls gives this file to every minion only when the master runs
# with `openstack_lab: true` (written by `salt-run lab.up` to
# .run/conf.d/lab.conf, removed by `salt-run lab.down`), so a real deployment
# never sees it. lab/README.md draws the wiring.
lab:
  # The hosts' Debian suite: trixie (Debian 13) or bookworm (Debian 12), one
  # cached rootfs each. `make lab LAB_SUITE=bookworm` (`salt-run lab.up
  # suite=bookworm`) overrides it; a running lab keeps the suite it has.
  suite: trixie
  # Everything the lab wires lives in this network namespace; this machine
  # keeps its own routes, addresses and firewall.
  netns: oslab
  # The guide's LAN (openstack:network:lan_cidr) is this bridge; every host of
  # the host map sits on it with its `interfaces:lan` name.
  lan_bridge: br-lan
  # The namespace's own address on the LAN: the minions' `master:`. Only tcp
  # 4505/4506 to it are forwarded (to the master on this machine); nothing
  # else from the LAN leaves the namespace.
  lan_master_ip: 192.168.0.254
  # The public network: only the gateway's `interfaces:public` NIC reaches it.
  # The namespace is its router (first address) and NATs it upstream.
  public_bridge: br-public
  public_cidr: 198.51.100.0/24
  # The instances' provider network: every host's `interfaces:provider` NIC
  # (when it is not its LAN NIC) is on this bridge. The namespace only
  # switches it: no address, no route, no NAT (its router is the gateway).
  provider_bridge: br-provider
  # The one link between this machine and the namespace (a veth pair). This
  # machine gets the first address, the namespace the second; this machine
  # masquerades the second one out of its default route.
  uplink:
    host_if: oslab-up
    netns_if: uplink
    cidr: 100.64.250.0/30
  # salt-master ports forwarded from lan_master_ip to the master.
  master_ports: [4505, 4506]
  # apt-cacher-ng on this machine, bound to the uplink's host address: the
  # gateway reaches it through its public NIC, the LAN hosts only through the
  # gateway once its NAT is up (the guide's step 01).
  apt_proxy_port: 3142
  # Outside the checkout: every clone of the repo reuses the rootfs and the
  # package cache. `salt-run lab.down purge=True` deletes them.
  cache_dir: /var/cache/openstack-salt-lab
  mirror: http://deb.debian.org/debian
  # A sparse image per brick host (compute role), XFS, loop-mounted and
  # bind-mounted at openstack:storage:brick_path inside the container.
  brick_size: 4G
  # Character devices every container gets (bind mount + cgroup allow).
  devices:
    - /dev/fuse
    - /dev/net/tun
    - /dev/kvm

openstack:
  # The gateway's address on the lab's public network (noVNC proxy,
  # dashboard): reach it from this machine with `ip netns exec oslab ...`.
  public_ip: 198.51.100.161
  network:
    # This machine's kernel has no openvswitch module: Open vSwitch's
    # userspace datapath (real hosts keep `system`).
    datapath_type: netdev
  # Two cores for five hosts: Debian's packages start 8-16 workers per API
  # (one per core of a big server), each importing its service at start.
  # The lab's APIs serve one user: few workers (openstack:config_overrides,
  # as an operator tunes any option of a managed file).
  config_overrides:
    keystone:
      keystone-uwsgi.ini: {uwsgi: {processes: 2}}
    nova:
      nova-api-uwsgi.ini: {uwsgi: {processes: 2}}
      nova-api-metadata-uwsgi.ini: {uwsgi: {processes: 1}}
      nova.conf: {conductor: {workers: 1}, scheduler: {workers: 1}}
    neutron:
      neutron-api-uwsgi.ini: {uwsgi: {processes: 2}}
      neutron.conf: {DEFAULT: {rpc_workers: 1, rpc_state_report_workers: 1}}
    placement:
      placement-api-uwsgi.ini: {uwsgi: {processes: 1}}
    cinder:
      cinder-api-uwsgi.ini: {uwsgi: {processes: 1}}
    glance:
      glance-api.conf: {DEFAULT: {workers: 1}}
  cinder:
    # This machine's kernel has no device-mapper, so no LVM inside the lab:
    # Cinder's API and scheduler are deployed, cinder-volume on LVM is not.
    lvm_backend: false
  compute:
    # /dev/kvm exists here but hangs ordinary guest kernels: software
    # emulation (QEMU TCG) in the lab.
    virt_type: qemu
  packages:
    # The lab's hosts are throwaway: dpkg skips its fsyncs.
    unsafe_io: true
  # Glance gets the lab's own test guest (lab/guest; CirrOS cannot be
  # downloaded here). lab.up builds it and serves it from the master.
  images:
    - name: testguest
      source: salt://testguest.img
      disk_format: qcow2
      container_format: bare
  # The verification: the test guest prints this line once it has its
  # address and key. The URL is the lab's apt-cacher-ng on this machine: the
  # namespace lets only the public network's own addresses through to it, so
  # an answer means the gateway NATed the instance's packets.
  verify:
    console_expect: TESTGUEST READY
    outside_url: http://100.64.250.1:3142/
