{#- Guide 02-glusterfs-all steps 6-7 (03-glusterfs-install.sh,
    04-glusterfs-start.sh): glusterd on every host. The controller runs it
    too: it is a peer without a brick, and it mounts the volume. GlusterFS 10
    comes from the distribution (Debian 12) or the Storage SIG (CentOS). #}
{%- from "map.jinja" import openstack with context %}
{%- from "binds.jinja" import port_range with context %}
{%- set first, last = port_range('gluster-bricks') | load_json %}

glusterfs-server-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.glusterfs | json }}

# Issue 13: glusterd gives each brick a port picked at random between
# base-port and max-port (GlusterFS 10 and 11; its glusterd.vol: 49152 to
# 60999; seen in the lab: 55149, 57510, 60952): the range of
# openstack:firewall:services gluster-bricks, which the firewall opens.
# A brick started before keeps its port until it restarts.
{%- for option, port in [('base-port', first), ('max-port', last)] %}

glusterfs-server-{{ option }}:
  file.replace:
    - name: {{ openstack.config.glusterd }}
    - pattern: '^[ \t#]*option[ \t]+{{ option }}[ \t]+[0-9]+[ \t]*$'
    - repl: '    option {{ option }} {{ port }}'
    - require:
      - pkg: glusterfs-server-packages
    - watch_in:
      - service: glusterfs-server-service
{%- endfor %}

glusterfs-server-service:
  service.running:
    - name: {{ openstack.units.glusterd }}
    - enable: true
    - require:
      - pkg: glusterfs-server-packages
