{#- Guide 09-openstack-gateway step 52's nova-network, today Neutron: the
    server (API and RPC) on the controller with the ML2 plugin and one flat
    provider network (the guide's 10.0.0.0/24 on br100), wired by the
    network driver (openstack:network:driver):
    - ovn: ML2/OVN, neutron writes the network into OVN's northbound
      database (ovn.central, on this host); OVN answers DHCP and routes
      (the ovn-router plugin, for self-service networks later);
    - linuxbridge (Zed): the linuxbridge mechanism, which Zed keeps behind
      an experimental flag.
    No tenant networks yet: instances sit on the provider network, as in
    the guide. Debian runs the API under uWSGI: no AMQP heartbeats, as for
    nova-api (see nova.controller). #}
{%- from "map.jinja" import openstack, controller, urls, behind_proxy with context %}
{%- from "macros.jinja" import db_url, auth_section, config_file, ini_options with context %}
{%- from "binds.jinja" import listen_sections, listen_states with context %}
{%- set files = openstack.ini_files.neutron %}
{%- set ovn = openstack.network.driver == 'ovn' %}
{%- set physnet = openstack.network.provider.physical_network %}
{%- if ovn %}
{%-   set plugins = {'service_plugins': 'ovn-router'} %}
{%-   set ml2 = {
        'ml2': {'type_drivers': 'flat,geneve', 'tenant_network_types': '',
                'mechanism_drivers': 'ovn', 'extension_drivers': 'port_security'},
        'ml2_type_flat': {'flat_networks': physnet},
        'ml2_type_geneve': {'vni_ranges': '1:65536', 'max_header_size': 38},
        'ovn': {'ovn_nb_connection': urls.ovn_nb, 'ovn_sb_connection': urls.ovn_sb,
                'ovn_metadata_enabled': true},
      } %}
{#- (geneve's header is 38 bytes with OVN's options: the driver refuses to
    start with neutron's default of 30.) #}
{%- else %}
{%-   set plugins = {'service_plugins': ''} %}
{%-   set ml2 = {
        'ml2': {'type_drivers': 'flat', 'tenant_network_types': '',
                'mechanism_drivers': 'linuxbridge', 'extension_drivers': 'port_security'},
        'ml2_type_flat': {'flat_networks': physnet},
      } %}
{%- endif %}
{%- if ovn %}

include:
  - ovn.central
{%- endif %}

neutron-server-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.neutron_server | json }}

{%- set neutron_conf = {
     'DEFAULT': dict(plugins, core_plugin='ml2', transport_url=urls.transport,
                 auth_strategy='keystone',
                 notify_nova_on_port_status_changes=true,
                 notify_nova_on_port_data_changes=true),
     'database': {'connection': db_url('neutron')},
     'keystone_authtoken': auth_section('neutron') | load_json,
     'nova': dict(auth_section('nova', with_uri=false) | load_json, region_name=openstack.region,
                  endpoint_type='internal'),
     'oslo_concurrency': {'lock_path': '/var/lib/neutron/tmp'},
     'oslo_messaging_rabbit': {'heartbeat_timeout_threshold': 0},
     'oslo_middleware': behind_proxy.oslo_middleware,
   } %}
{%- if not ovn %}
{%-   do neutron_conf.update({'experimental': {'linuxbridge': true} }) %}
{%- endif %}
{#- Issue 13: the API listens on the LAN address only (binds.jinja). #}
{%- do salt['defaults.merge'](neutron_conf, listen_sections(['neutron'], 'neutron.conf') | load_json) %}
{{ config_file('neutron-server-config', 'neutron', 'neutron.conf', neutron_conf, 'neutron-server-packages') }}
{{ listen_states('neutron-server-listen', 'neutron', ['neutron'], 'neutron-server-packages', 'neutron-server-services') }}

{{ config_file('neutron-server-ml2', 'neutron', 'ml2_conf.ini', ml2, 'neutron-server-packages') }}

neutron-server-db-sync:
  cmd.run:
    - name: >-
        su -s /bin/sh -c 'neutron-db-manage --config-file {{ files['neutron.conf'] }}
        --config-file {{ files['ml2_conf.ini'] }} upgrade heads' neutron
    - unless: >-
        su -s /bin/sh -c 'neutron-db-manage --config-file {{ files['neutron.conf'] }}
        --config-file {{ files['ml2_conf.ini'] }} has_offline_migrations' neutron
        && mysql -N -e 'SELECT 1 FROM neutron.alembic_version LIMIT 1' | grep -q 1
    - require:
      - openstack_config: neutron-server-config
      - openstack_config: neutron-server-ml2

{%- if openstack.neutron_api_uwsgi %}

# Debian runs the API alone under uWSGI (neutron-api), each worker loading
# the app lazily. SQLAlchemy adds a model's back-references to the models it
# points at only when the mappers are configured, on a worker's first query;
# neutron's port listing names Port.port_forwardings before any query, so a
# worker whose first request lists ports answers HTTP 500 ("type object
# 'Port' has no attribute 'port_forwardings'") and nova cannot boot a server.
# Seen in the lab (Debian 12, neutron 21.0.0). Each worker now imports all of
# neutron's models and configures them before it serves anything.
neutron-server-configure-mappers:
  file.managed:
    - name: /usr/local/lib/openstack-salt/neutron_configure_mappers.py
    - makedirs: true
    - mode: "0644"
    - contents: |
        # Managed by Salt (neutron.server): imported by neutron-api's uWSGI
        # workers first, so every model relation exists before a request.
        from neutron.db.migration.models import head  # noqa: F401
        from sqlalchemy import orm

        orm.configure_mappers()

{%-   set uwsgi_import = {'uwsgi': {'pythonpath': '/usr/local/lib/openstack-salt',
                                    'import': 'neutron_configure_mappers'} } %}
{{ ini_options('neutron-server-uwsgi-import', 'neutron', openstack.neutron_api_uwsgi, uwsgi_import,
               ['file: neutron-server-configure-mappers', 'pkg: neutron-server-packages'], 'neutron-server-services') }}
{%- endif %}

neutron-server-services:
  service.running:
    - names: {{ openstack.units.neutron_server | json }}
    - enable: true
    - require:
      - cmd: neutron-server-db-sync
{%- if ovn %}
      - ovn: ovn-central-nb-listener
      - ovn: ovn-central-sb-listener
{%- endif %}
    - watch:
      - openstack_config: neutron-server-config
      - openstack_config: neutron-server-ml2
