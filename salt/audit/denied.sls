{#- The audit's attempts that must fail (orchestration step openstack-audit-
    denied, salt/openstack/audit.sls), each run from a host that is not
    supposed to get in (salt/audit/plan.jinja chooses it): RabbitMQ's
    guest/guest, MariaDB's root, memcached's stats, libvirt over TCP. A
    connection that gets no answer in 2 s counts as dropped. On the
    controller, the volume's auth.allow. This host's attempts come from the
    orchestration's pillar (`audit:probes:<host>`); a password given as
    {pillar: KEY} is read from this host's pillar by the check. #}
{%- set probes = salt['pillar.get']('audit:probes', {}).get(grains.id, []) %}
{%- set gluster = salt['pillar.get']('audit:gluster', {}) %}
{%- for probe in probes %}

# c. Issue 13: {{ probe.name }}
audit-denied-{{ probe.id }}:
  openstack_audit.check:
    - name: {{ ('kept out: ' ~ probe.name) | yaml_dquote }}
    - check: denied
    - kind: {{ probe.kind }}
    - address: {{ probe.address }}
    - ports: {{ probe.ports | json }}
{%-   if probe.user %}
    - user: {{ probe.user | json }}
    - password: {{ probe.password | json }}
{%-   endif %}
    - timeout: 2
{%- endfor %}
{%- if gluster.get('host') == grains.id %}

# c. Guide steps 6-10 left the volume open to any client: the bricks admit
# the host map's addresses only.
audit-gluster-auth-allow:
  openstack_audit.check:
    - name: {{ ('volume ' ~ gluster.volume ~ ' admits the host map only (auth.allow)') | yaml_dquote }}
    - check: gluster_auth_allow
    - volume: {{ gluster.volume }}
    - addresses: {{ gluster.addresses | json }}
{%- endif %}
{%- if not probes and gluster.get('host') != grains.id %}

audit-denied-none:
  test.succeed_without_changes:
    - name: "SKIP no attempt planned from this host (run through salt-run state.orchestrate openstack.audit)"
{%- endif %}
