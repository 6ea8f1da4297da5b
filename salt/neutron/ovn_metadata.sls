{#- Guide 09-openstack-gateway step 51's metadata service for instances
    (nova-network answered 169.254.169.254 on the gateway): with ML2/OVN
    every compute host answers its own instances. The agent keeps one
    namespace per network (ovnmeta-<network>) with a port on it and an
    haproxy in it, and passes each request to nova's metadata API on the
    controller, signed with the shared secret. It talks to the local Open
    vSwitch and the southbound database only (no message queue). #}
{%- from "map.jinja" import openstack, controller, urls with context %}
{%- from "macros.jinja" import config_file with context %}
{%- if openstack.network.driver == 'ovn' %}

neutron-ovn-metadata-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.neutron_ovn_metadata | json }}
    - require:
      - service: ovn-chassis-controller-service

{#- The agent reads neutron.conf too (its unit names it): only what it
    needs; no credentials. #}
{{ config_file('neutron-ovn-metadata-common', 'neutron', 'neutron.conf', {
     'oslo_concurrency': {'lock_path': '/var/lib/neutron/tmp'},
   }, 'neutron-ovn-metadata-packages') }}

{{ config_file('neutron-ovn-metadata-config', 'neutron', 'neutron_ovn_metadata_agent.ini', {
     'DEFAULT': {'nova_metadata_host': controller,
                 'nova_metadata_port': 8775,
                 'metadata_proxy_shared_secret': openstack.secrets.metadata_proxy_secret},
     'ovn': {'ovn_sb_connection': urls.ovn_sb},
     'ovs': {'ovsdb_connection': urls.ovsdb},
   }, 'neutron-ovn-metadata-packages') }}

neutron-ovn-metadata-service:
  service.running:
    - names: {{ openstack.units.neutron_ovn_metadata | json }}
    - enable: true
    - watch:
      - openstack_config: neutron-ovn-metadata-common
      - openstack_config: neutron-ovn-metadata-config

include:
  - ovn.chassis
{%- endif %}
