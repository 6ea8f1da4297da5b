{#- Guide 07-openstack-controller steps 39-44 (20-nova-install.sh to
    25-nova-start.sh): nova's control plane. Today that is nova-api (which
    also serves the metadata API, the guide's nova-metadata-api),
    nova-conductor (the only part that talks to the database) and
    nova-scheduler; nova-cert, -consoleauth, -direct-api and -volume are gone.
    Cells v2: cell0 for instances that never got a host, cell1 for the rest. #}
{%- from "map.jinja" import openstack, controller, urls, nova_common, behind_proxy with context %}
{%- from "macros.jinja" import db_url, auth_section, config_file, db_synced, uwsgi_connection_close with context %}
{%- from "binds.jinja" import listen_sections, listen_states with context %}
{#- Issue 13: the compute API (8774) and the metadata API (8775) listen on
    the LAN address only (binds.jinja). #}
{%- set apis = ['nova', 'nova-metadata'] %}
{%- set sections = salt['defaults.merge'](nova_common, {
      'api_database': {'connection': db_url('nova', 'nova_api')},
      'database': {'connection': db_url('nova')},
      'keystone_authtoken': auth_section('nova') | load_json,
      'service_user': dict(auth_section('nova', with_uri=false) | load_json, send_service_user_token=true),
      'placement': dict(auth_section('placement', with_uri=false) | load_json, region_name=openstack.region),
      'neutron': dict(auth_section('neutron', with_uri=false) | load_json, region_name=openstack.region,
                      service_metadata_proxy=true,
                      metadata_proxy_shared_secret=openstack.secrets.metadata_proxy_secret),
      'scheduler': {'discover_hosts_in_cells_interval': 300},
      'cinder': {'os_region_name': openstack.region},
      'oslo_messaging_rabbit': {'heartbeat_timeout_threshold': 0},
      'oslo_middleware': behind_proxy.oslo_middleware,
    }, in_place=False) %}
{%- do salt['defaults.merge'](sections, listen_sections(apis, 'nova.conf') | load_json) %}
{#- No AMQP heartbeats on the controller: Debian runs nova-api under uWSGI,
    where an idle worker never sends them, RabbitMQ drops its connection
    ("AMQP server ... is unreachable: RecoverableConnectionError"), and a
    request cast meanwhile is lost: seen in the lab, a live migration stayed
    "migrating" with no job anywhere. TCP on the LAN notices dead peers. #}

nova-controller-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.nova_controller | json }}

{{ config_file('nova-controller-config', 'nova', 'nova.conf', sections, 'nova-controller-packages') }}
{{ uwsgi_connection_close('nova-controller-uwsgi', 'nova', openstack.uwsgi_close.get('nova', []), 'nova-controller-packages', 'nova-controller-services') }}
{{ listen_states('nova-controller-listen', 'nova', apis, 'nova-controller-packages', 'nova-controller-services') }}

# Step 43: the API database first, then the cells, then the main schema.
nova-controller-api-db-sync:
  cmd.run:
    - name: su -s /bin/sh -c 'nova-manage api_db sync' nova
    - unless: {{ db_synced('nova_api') | json }}
    - require:
      - openstack_config: nova-controller-config

nova-controller-cell0:
  cmd.run:
    - name: su -s /bin/sh -c 'nova-manage cell_v2 map_cell0' nova
    - unless: su -s /bin/sh -c 'nova-manage cell_v2 list_cells' nova | grep -qw cell0
    - require:
      - cmd: nova-controller-api-db-sync

nova-controller-cell1:
  cmd.run:
    - name: su -s /bin/sh -c 'nova-manage cell_v2 create_cell --name=cell1' nova
    - unless: su -s /bin/sh -c 'nova-manage cell_v2 list_cells' nova | grep -qw cell1
    - require:
      - cmd: nova-controller-cell0

nova-controller-db-sync:
  cmd.run:
    - name: su -s /bin/sh -c 'nova-manage db sync' nova
    - unless: {{ db_synced('nova') | json }}
    - require:
      - cmd: nova-controller-cell1

# Step 44: the services, restarted when nova.conf changed.
nova-controller-services:
  service.running:
    - names: {{ openstack.units.nova_controller | json }}
    - enable: true
    - require:
      - cmd: nova-controller-db-sync
    - watch:
      - openstack_config: nova-controller-config
