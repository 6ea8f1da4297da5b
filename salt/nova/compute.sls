{#- Guide 08-openstack-compute steps 46-49 (02-install-nova.sh to
    05-nova-compute-start.sh): nova-compute on each compute host, with the
    hypervisor the kvm stage chose (virt_type), the shared instances
    directory on GlusterFS, live migration over SSH as nova (kvm.migration),
    and the placement, neutron and VNC settings. The instances' disks are on
    the shared volume, so a live migration moves only memory. #}
{%- from "map.jinja" import openstack, host, nova_common, virt_type, urls, provider_nic with context %}
{%- from "macros.jinja" import db_url, auth_section, config_file, ini_options with context %}
{%- set sections = salt['defaults.merge'](nova_common, {
      'DEFAULT': {'compute_driver': 'libvirt.LibvirtDriver',
                  'instances_path': openstack.storage.mountpoint},
      'libvirt': {'virt_type': virt_type,
                  'live_migration_scheme': 'ssh',
                  'live_migration_inbound_addr': host.ip,
                  'live_migration_uri': 'qemu+ssh://nova@%s/system?keyfile='
                                        ~ openstack.nova.home ~ '/.ssh/id_ed25519'},
      'service_user': dict(auth_section('nova', with_uri=false) | load_json, send_service_user_token=true),
      'keystone_authtoken': auth_section('nova') | load_json,
      'placement': dict(auth_section('placement', with_uri=false) | load_json, region_name=openstack.region),
      'neutron': dict(auth_section('neutron', with_uri=false) | load_json, region_name=openstack.region),
    }, in_place=False) %}
{#- The release's workarounds (salt/releases.yaml: openstack:nova:workarounds).
    Zed's: no libvirt lifecycle events: when a live migration ends, nova-compute
    activates the instance's port on the new host twice, once from libvirt's
    "migration completed" event and once from its post-migration step. The
    two requests race in neutron 21 (Zed), and the loser gets HTTP 500
    ("Class 'builtins.NoneType' is not mapped") instead of 409, which nova
    takes as a failed migration: the instance ends in ERROR on the new host.
    Seen in the lab (compute2 -> compute3). Without the events the port is
    activated once, after the migration; a guest that stops on its own is
    noticed by the power-state sync (every 600 s) instead. 2025.1's neutron
    answers the second activation with 409, as nova expects: no workaround. #}
{%- if openstack.nova.workarounds %}
{%-   do sections.update({'workarounds': openstack.nova.workarounds}) %}
{%- endif %}
{#- os-vif plugs each instance's port into Open vSwitch from nova-compute,
    which runs as nova: not through the database's unix socket (root's;
    seen in the lab: "Could not retrieve schema from
    unix:/run/openvswitch/db.sock"), through the loopback listener
    ovn.chassis adds. #}
{%- if openstack.network.driver == 'ovn' %}
{%-   do sections.update({'os_vif_ovs': {'ovsdb_connection': urls.ovsdb_local_tcp} }) %}
{#- Zed's linuxbridge agent wires the provider NIC into the network's bridge
    (brq<network>) only when it wires a port of the host, and a migrating
    port's binding on the target is inactive until the guest already runs
    there: the agent skips it until nova activates it. Seen in the lab:
    QEMU's announcement (RARP) 1.4 s before the NIC joined the bridge, and
    the guest unreachable after its first migration onto a host that had no
    instance. os-vif creates that bridge in nova's pre-migration step, before
    the memory moves; with flat_interface it puts the provider NIC in it
    then (the guide's FlatDHCP flat_interface, step 47). The agent finds it
    there, and removes it with the bridge when the host's last port goes.
    Only the flat provider network exists under Zed here: a VLAN or VXLAN
    network's bridge would get the raw NIC too. #}
{%- elif openstack.network.driver == 'linuxbridge' and provider_nic %}
{%-   do sections.update({'os_vif_linux_bridge': {'flat_interface': provider_nic} }) %}
{%- endif %}
{#- The gateway's noVNC proxy (nova.novncproxy, which shares this nova.conf)
    validates each console token in the cell's database: the tokens live
    there since Rocky (nova-consoleauth is gone), ConsoleAuthToken.validate
    reads them and the instance with [database] connection (nova 26 and 31
    alike). Without it every console fails. nova-compute on the same host
    ignores it (it never opens the database). #}
{#- Issue 13: the proxy speaks only TLS, with the public certificate
    (tls.public; [DEFAULT] ssl_only, cert, key are the console proxies'
    options, nova-compute ignores them too). #}
{%- if 'gateway' in host.get('roles', []) %}
{%-   do sections.update({'database': {'connection': db_url('nova')} }) %}
{%-   do salt['defaults.merge'](sections, {'DEFAULT': {
        'ssl_only': true,
        'cert': openstack.tls.dir ~ '/public.pem',
        'key': openstack.tls.dir ~ '/public.pem.key'} }) %}
{%- endif %}

nova-compute-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.nova_compute | json }}

{{ config_file('nova-compute-config', 'nova', 'nova.conf', sections, 'nova-compute-packages') }}

{%- if 'nova-compute.conf' in openstack.ini_files.nova %}

# Debian's nova-compute reads this file after nova.conf, and it sets
# virt_type=kvm: the hypervisor is set here too, or it wins. (Seen in the
# lab: "Could not access KVM kernel module" with virt_type qemu in nova.conf.)
{%-   set hypervisor = {'libvirt': {'virt_type': virt_type} } %}
{{ ini_options('nova-compute-hypervisor', 'nova', 'nova-compute.conf', hypervisor,
               'pkg: nova-compute-packages', 'nova-compute-service') }}
{%- endif %}

nova-compute-service:
  service.running:
    - names: {{ openstack.units.nova_compute | json }}
    - enable: true
    - watch:
      - openstack_config: nova-compute-config
