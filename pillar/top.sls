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
{#- Each host's own TLS material (the project CA's certificate, its
    certificate and key, the gateway's public ones), written by `salt-run
    openstack.secrets`: to that minion only. Before the host map's files, so
    pillar/local.sls still wins. (A compound L@ target: a one-host map's
    list target below has the same name.) #}
{%- for host in hostmap.openstack.hosts %}
  'L@{{ host }}':
    - match: compound
    - ignore_missing: true
    - secrets.hosts.{{ host }}
{%- endfor %}
  '{{ hostmap.openstack.hosts | join(",") }}':
    - match: list
    - ignore_missing: true
    - secrets.generated
    - local
