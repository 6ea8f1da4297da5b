{#- Guide 02-glusterfs-all steps 6-7 (03-glusterfs-install.sh,
    04-glusterfs-start.sh): glusterd on every host. The controller runs it
    too: it is a peer without a brick, and it mounts the volume. GlusterFS 10
    comes from the distribution (Debian 12) or the Storage SIG (CentOS). #}
{%- from "map.jinja" import openstack with context %}

glusterfs-server-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.glusterfs | json }}

glusterfs-server-service:
  service.running:
    - name: {{ openstack.units.glusterd }}
    - enable: true
    - require:
      - pkg: glusterfs-server-packages
