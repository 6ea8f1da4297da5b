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

# ovn-central is a oneshot unit that only pulls in the two database
# servers, and those are Type=simple: systemd reports them started before
# their sockets exist (seen in a fresh lab: "ovn-nbctl: unix:/var/run/ovn/
# ovnnb_db.sock: database connection failed (No such file or directory)"
# 0.3 s after the start). Wait for both sockets, at most 60 s.
ovn-central-databases-ready:
  cmd.run:
    - name: >-
        timeout 60 sh -c 'until [ -S /run/ovn/ovnnb_db.sock ] && [ -S /run/ovn/ovnsb_db.sock ];
        do sleep 0.5; done'
    - unless: test -S /run/ovn/ovnnb_db.sock -a -S /run/ovn/ovnsb_db.sock
    - require:
      - service: ovn-central-service
{%- for db, port in (('nb', ovn.nb_port), ('sb', ovn.sb_port)) %}

ovn-central-{{ db }}-listener:
  ovn.connection:
    - name: {{ db }}
    - targets: [ptcp:{{ port }}:{{ controller_ip }}]
    - require:
      - cmd: ovn-central-databases-ready
{%- endfor %}
{%- endif %}
