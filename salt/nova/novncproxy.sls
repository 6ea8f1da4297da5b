{#- Guide 09-openstack-gateway step 51 (openstack-nova-novncproxy on the
    gateway, reachable from outside at the public address): the browser's
    VNC console of an instance goes through here. (The xvpvncproxy is gone.) #}
{%- from "map.jinja" import openstack with context %}

nova-novncproxy-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.novncproxy | json }}

nova-novncproxy-service:
  service.running:
    - names: {{ openstack.units.novncproxy | json }}
    - enable: true
    - require:
      - pkg: nova-novncproxy-packages
    - watch:
      - openstack_config: nova-compute-config

include:
  - nova.compute
