{#- Guide 09-openstack-gateway step 52 gave instances nova-network; today
    neutron's ML2/OVN driver does it, and OVN's control plane runs here on
    the controller: the northbound database (neutron writes the logical
    network into it), ovn-northd (turns it into logical flows) and the
    southbound database (every chassis' ovn-controller reads the flows from
    it and registers itself there). Debian's databases listen on unix
    sockets only: each gets one TCP listener on the controller's LAN
    address (NB: the neutron servers here; SB: the compute hosts' chassis
    and metadata agents). #}
{%- from "map.jinja" import openstack, controller_ip with context %}
{%- set ovn = openstack.network.ovn %}
{#- Only for ML2/OVN (openstack:network:driver); nothing otherwise. #}
{%- if openstack.network.driver == 'ovn' %}

ovn-central-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.ovn_central | json }}

ovn-central-service:
  service.running:
    - name: {{ openstack.units.ovn_central }}
    - enable: true
    - require:
      - pkg: ovn-central-packages

{%- for db, port in (('nb', ovn.nb_port), ('sb', ovn.sb_port)) %}

ovn-central-{{ db }}-listener:
  ovn.connection:
    - name: {{ db }}
    - targets: [ptcp:{{ port }}:{{ controller_ip }}]
    - require:
      - service: ovn-central-service
{%- endfor %}
{%- endif %}
