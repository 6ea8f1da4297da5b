{#- Guide 03-glusterfs-controller step 8 (01-glusterfs-probe.sh): the
    controller probes every compute host into its trusted pool. Renders
    nothing on other hosts. #}
{%- from "map.jinja" import host, roles with context %}
{%- if 'controller' in host.get('roles', []) %}
{%-   for peer in roles.compute %}

glusterfs-peer-{{ peer }}:
  gluster.peered:
    - name: {{ peer }}
{%-   endfor %}
{%- endif %}
