{#- Guide 07-openstack-controller steps 31-36 (12-glance-install.sh to
    17-glance-start.sh): the image service, keeping images as files in
    /var/lib/glance/images (the guide's lv_images mount point). The registry
    service the guide also ran is gone; glance-api alone serves the API. #}
{%- from "map.jinja" import openstack, behind_proxy with context %}
{%- from "macros.jinja" import db_url, auth_section, config_file, db_synced with context %}
{%- from "binds.jinja" import listen_sections, listen_states with context %}

glance-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.glance | json }}

{#- Issue 13: the API listens on the LAN address only (binds.jinja: the
    eventlet server's bind_host and bind_port, on Debian and RDO alike). #}
{{ config_file('glance-config', 'glance', 'glance-api.conf', salt['defaults.merge']({
     'database': {'connection': db_url('glance')},
     'keystone_authtoken': auth_section('glance') | load_json,
     'paste_deploy': {'flavor': 'keystone'},
     'DEFAULT': {'enabled_backends': 'fs:file'},
     'glance_store': {'default_backend': 'fs'},
     'fs': {'filesystem_store_datadir': '/var/lib/glance/images/'},
     'oslo_middleware': behind_proxy.oslo_middleware,
   }, listen_sections(['glance'], 'glance-api.conf') | load_json, in_place=False), 'glance-packages') }}
{{ listen_states('glance-listen', 'glance', ['glance'], 'glance-packages', 'glance-service') }}

# Step 34: the schema, once.
glance-db-sync:
  cmd.run:
    # as glance, whose files these are; the guard runs as root (.my.cnf)
    - name: su -s /bin/sh -c 'glance-manage db_sync' glance
    - unless: {{ db_synced('glance') | json }}
    - require:
      - openstack_config: glance-config

# Step 36.
glance-service:
  service.running:
    - names: {{ openstack.units.glance | json }}
    - enable: true
    - require:
      - cmd: glance-db-sync
    - watch:
      - openstack_config: glance-config
