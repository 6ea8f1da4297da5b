{#- salt-run state.orchestrate openstack
    The guide's numbered script directories, run in order by the master.
    Stages (../shared/DESIGN.md): 1 validate, 2 sync, 3 common, 4 gateway,
    5 glusterfs, 6 kvm, 7 controller, 8 compute, 9 gateway services,
    10 post-deploy; 11 is `state.orchestrate openstack.verify`. The stages that
    exist so far are below; each requires the one before it, so the first
    failure stops the run, naming the host and the state.

    Stop after any stage and look around, as the guide invited, then run again:
      salt-run state.orchestrate openstack pillar='{"stop_after": "common"}' #}
{%- set stop_after = salt['pillar.get']('stop_after') %}

{#- Stage 1, before anything is rendered further: generate the secrets the
    user did not set (master-side, pillar/secrets/generated.sls), then check
    the whole pillar. On any problem only this one failing state is rendered,
    so no host can be touched, with or without test=True. #}
{%- do salt['saltutil.runner']('openstack.secrets') %}
{%- set check = salt['saltutil.runner']('openstack.validate') %}
{%- set hosts = salt['pillar.get']('openstack:hosts', {}) | list | sort %}

openstack-stage-1-validate:
{%- if check.result %}
  test.succeed_without_changes:
    - name: {{ check.comment | yaml_dquote }}
{%- else %}
  test.fail_without_changes:
    - name: {{ (check.comment ~ ':\n- ' ~ check.problems | join('\n- ')) | yaml_dquote }}
    - comment: {{ check.problems | join('; ') | yaml_dquote }}
{%- endif %}

{%- set stages = [
      ('2-sync', 'sync', 'send the custom modules to every host'),
      ('3-common', 'common', 'host map, time, repositories on every host'),
    ] %}
{%- set ns = namespace(previous='openstack-stage-1-validate', stopped=(stop_after == 'validate')) %}
{%- if check.result %}
{%-   for stage_id, sls, what in stages if not ns.stopped %}

# Stage {{ stage_id }}: {{ what }}.
openstack-stage-{{ stage_id }}:
  salt.state:
    - tgt: {{ hosts | join(',') }}
    - tgt_type: list
    - sls: {{ sls }}
{%-     if sls == 'sync' %}
    # Syncing modules changes nothing on the cloud: done even under test=True,
    # so the stages after it can be planned with the modules they use.
    - test: false
{%-     endif %}
    - require:
      - {{ ns.previous }}
{%-     set ns.previous = 'openstack-stage-' ~ stage_id %}
{%-     set ns.stopped = (stop_after == sls) %}
{%-   endfor %}
{%- endif %}
