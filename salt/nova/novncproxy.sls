{#- Guide 09-openstack-gateway step 51 (openstack-nova-novncproxy on the
    gateway, reachable from outside at the public address): the browser's
    VNC console of an instance goes through here. (The xvpvncproxy is gone.)
    Issue 13: over TLS only, with the public certificate (nova.compute sets
    the options). #}
{%- from "map.jinja" import openstack with context %}

nova-novncproxy-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.novncproxy | json }}

{%- if openstack.consoleproxy_defaults %}

# Debian's package starts the SPICE proxy unless told otherwise.
nova-novncproxy-type:
  file.keyvalue:
    - name: {{ openstack.consoleproxy_defaults.file }}
    - separator: "="
    - append_if_not_found: true
    - ignore_if_missing: {{ opts.get('test', false) | json }}
    - key_values: {{ openstack.consoleproxy_defaults.settings | json }}
    - require:
      - pkg: nova-novncproxy-packages
    - watch_in:
      - service: nova-novncproxy-service
{%- endif %}

nova-novncproxy-service:
  service.running:
    - names: {{ openstack.units.novncproxy | json }}
    - enable: true
    - require:
      - pkg: nova-novncproxy-packages
    - watch:
      - openstack_config: nova-compute-config
      - file: tls-public-cert
      - file: tls-public-key

include:
  - nova.compute
  - tls.public
