{#- Guide 07-openstack-controller (nova-volume on the nova-volumes volume
    group, served by tgtd), today Cinder: the API and the scheduler, and
    cinder-volume with the LVM backend on the volume group pillar names,
    exported over iSCSI by tgt. Where pillar says there is no LVM
    (openstack:cinder:lvm_backend false: the lab's kernel has no
    device-mapper), cinder-volume is not deployed and this says why. #}
{%- from "map.jinja" import openstack, host, urls, behind_proxy with context %}
{%- from "macros.jinja" import db_url, auth_section, config_file, db_synced, ini_options with context %}
{%- from "binds.jinja" import listen_sections, listen_states with context %}
{%- set lvm = openstack.cinder.lvm_backend %}
{%- set sections = {
      'DEFAULT': {'transport_url': urls.transport, 'auth_strategy': 'keystone', 'my_ip': host.ip,
                  'enabled_backends': 'lvm' if lvm else '',
                  'glance_catalog_info': 'image:glance:internalURL'},
      'nova': {'interface': 'internal'},
      'database': {'connection': db_url('cinder')},
      'keystone_authtoken': auth_section('cinder') | load_json,
      'oslo_concurrency': {'lock_path': '/var/lib/cinder/tmp'},
      'oslo_middleware': behind_proxy.oslo_middleware,
    } %}
{#- Issue 13: the API listens on the LAN address only (binds.jinja). #}
{%- do salt['defaults.merge'](sections, listen_sections(['cinder'], 'cinder.conf') | load_json) %}
{%- if lvm %}
{%-   do sections.update({'lvm': {'volume_driver': 'cinder.volume.drivers.lvm.LVMVolumeDriver',
                                  'volume_group': openstack.cinder.volume_group,
                                  'target_protocol': 'iscsi', 'target_helper': 'tgtadm'} }) %}
{%- endif %}

cinder-packages:
  pkg.installed:
    - pkgs: {{ (openstack.pkgs.cinder if lvm else openstack.pkgs.cinder_control) | json }}

{{ config_file('cinder-config', 'cinder', 'cinder.conf', sections, 'cinder-packages') }}

{%- if 'cinder-api-uwsgi.ini' in openstack.ini_files.cinder %}

# Debian runs the API under uWSGI: its settings take the operator's
# overrides (openstack:config_overrides; the lab's worker counts).
{{ ini_options('cinder-uwsgi', 'cinder', 'cinder-api-uwsgi.ini', {},
               'pkg: cinder-packages', 'cinder-services') }}
{%- endif %}

{{ listen_states('cinder-listen', 'cinder', ['cinder'], 'cinder-packages', 'cinder-services') }}

cinder-db-sync:
  cmd.run:
    - name: su -s /bin/sh -c 'cinder-manage db sync' cinder
    - unless: {{ db_synced('cinder') | json }}
    - require:
      - openstack_config: cinder-config

cinder-services:
  service.running:
    - names: {{ (openstack.units.cinder if lvm else openstack.units.cinder_control) | json }}
    - enable: true
    - require:
      - cmd: cinder-db-sync
    - watch:
      - openstack_config: cinder-config
{%- if not lvm %}

cinder-volume-skipped:
  test.nop:
    - name: >-
        cinder-volume is not deployed: openstack:cinder:lvm_backend is false
        (no LVM here; the lab's kernel has no device-mapper)
{%- endif %}
