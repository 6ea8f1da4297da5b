{#- Highstate: each host gets the states of its roles in the host map
    (pillar openstack:hosts), so `salt '*' state.highstate` puts back
    whatever drifted. #}
{%- from "map.jinja" import roles with context %}
base:
{%- for role, ids in roles | dictsort %}
{%-   if ids %}
  '{{ ids | join(",") }}':
    - match: list
    - {{ role }}
{%-   endif %}
{%- endfor %}
