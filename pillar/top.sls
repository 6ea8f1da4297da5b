{#- Pillar top. The host map is read first so the secrets can be targeted at
    exactly its minion ids: a minion outside the map gets no password. Within a
    target, later files win: your pillar/local.sls beats the generated
    secrets. #}
{%- import_yaml "openstack/hosts.sls" as hostmap %}
base:
  '*':
    - openstack.hosts
    - openstack.cloud
    - openstack.mine
{%- if opts.get('openstack_lab') %}
    - lab
{%- endif %}
  '{{ hostmap.openstack.hosts | join(",") }}':
    - match: list
    - ignore_missing: true
    - secrets.generated
    - local
