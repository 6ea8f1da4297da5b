{#- Placement (no guide step: split out of nova in Stein): tracks what each
    compute host has and what instances use, for the scheduler. #}
{%- from "map.jinja" import openstack, behind_proxy with context %}
{%- from "macros.jinja" import db_url, auth_section, config_file, db_synced, ini_options with context %}
{%- from "binds.jinja" import listen_states with context %}

placement-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.placement | json }}

{{ config_file('placement-config', 'placement', 'placement.conf', {
     'placement_database': {'connection': db_url('placement')},
     'api': {'auth_strategy': 'keystone'},
     'keystone_authtoken': auth_section('placement') | load_json,
     'oslo_middleware': behind_proxy.oslo_middleware,
   }, 'placement-packages') }}

{%- if 'placement-api-uwsgi.ini' in openstack.ini_files.placement %}

# Debian runs the API under uWSGI: its settings take the operator's
# overrides (openstack:config_overrides; the lab's worker counts).
{{ ini_options('placement-uwsgi', 'placement', 'placement-api-uwsgi.ini', {},
               'pkg: placement-packages', 'placement-service') }}
{%- endif %}

# Issue 13: the API listens on the LAN address only (binds.jinja).
{{ listen_states('placement-listen', 'placement', ['placement'], 'placement-packages', 'placement-service') }}

placement-db-sync:
  cmd.run:
    # as placement, whose files these are; the guard runs as root (.my.cnf)
    - name: su -s /bin/sh -c 'placement-manage db sync' placement
    - unless: {{ db_synced('placement') | json }}
    - require:
      - openstack_config: placement-config

placement-service:
  service.running:
    - names: {{ openstack.units.placement | json }}
    - enable: true
    - require:
      - cmd: placement-db-sync
    - watch:
      - openstack_config: placement-config
