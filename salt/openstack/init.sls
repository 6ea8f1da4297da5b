{#- salt-run state.orchestrate openstack
    The guide's numbered script directories, run in order by the master. The
    stages and their steps are the table salt/stages.yaml (the one place they
    are written; highstate reads the same table): 1 validate, 2 sync,
    3 gateway, 4 common, 5 glusterfs, 6 kvm, 7 controller, 8 compute,
    9 gateway-services, 10 post-deploy; then `state.orchestrate
    openstack.verify`. The gateway comes before common, as in the guide
    (01-network-gateway first): until the gateway does NAT, the LAN-only
    hosts cannot reach a package mirror, and common installs packages. Every
    step requires the one before it, so the first failure stops the run,
    naming the host and the state.

    Stop after any stage and look around, as the guide invited, then run
    again; or run one stage alone once the stages before it have run:
      salt-run state.orchestrate openstack pillar='{"stop_after": "glusterfs"}'
      salt-run state.orchestrate openstack pillar='{"only": "kvm"}' #}
{%- from "stages.jinja" import stages, stage_names, step_hosts, step_timeout with context %}
{%- set stop_after = salt['pillar.get']('stop_after') %}
{%- set only = salt['pillar.get']('only') %}
{%- if only is string %}
{%-   set only = only.split(',') | map('trim') | reject('equalto', '') | list %}
{%- endif %}
{%- set dry_run = opts.get('test', false) %}

{#- Stage 1, before anything is rendered further: check the whole pillar as
    the hosts will see it (defaults, OS family and release data, every pillar
    file). A secret the user did not set and that the secrets state below will
    generate is not a problem. On any problem only one failing state is
    rendered, so no host can be touched, with or without test=True. Nothing
    is written while rendering. #}
{%- set check = salt['saltutil.runner']('openstack.validate', pending_secrets=true) %}
{%- if check is mapping %}
{%-   set problems = check.problems | list %}
{%- else %}
{#-   the runner itself failed: its error is the problem #}
{%-   set problems = ['openstack.validate: ' ~ check] %}
{%- endif %}
{%- if stop_after and stop_after not in stage_names %}
{%-   do problems.append("stop_after: '" ~ stop_after ~ "' is not a stage; the stages are " ~ stage_names | join(', ')) %}
{%- endif %}
{%- for name in (only or []) if name not in stage_names %}
{%-   do problems.append("only: '" ~ name ~ "' is not a stage; the stages are " ~ stage_names | join(', ')) %}
{%- endfor %}
{%- if stop_after and only %}
{%-   do problems.append("stop_after and only: give one or the other") %}
{%- endif %}

{%- if problems %}

openstack-stage-1-validate:
  test.fail_without_changes:
    - name: {{ ('the pillar has ' ~ problems | length ~ ' problem(s); nothing was deployed:\n- ' ~ problems | join('\n- ')) | yaml_dquote }}
    - comment: {{ problems | join('; ') | yaml_dquote }}
{%- else %}

{#- The secrets the user did not set, generated once into
    pillar/secrets/generated.sls (master side). Under test=True they are
    only listed; when none is missing, nothing runs (and nothing changes). #}
{%-   set pending = salt['saltutil.runner']('openstack.secrets', test=true) %}
{%-   if dry_run or not pending.generated %}

openstack-stage-1-secrets:
  test.configurable_test_state:
    - name: openstack.secrets
    - result: true
    - changes: {{ pending.generated | length > 0 }}
{%-     if pending.generated %}
    - comment: {{ ('would generate: ' ~ pending.generated | join(', ')) | yaml_dquote }}
{%-     elif dry_run %}
    - comment: "would generate: nothing"
{%-     else %}
    - comment: {{ ('nothing to generate: every secret is set (' ~ pending.kept ~ ')') | yaml_dquote }}
{%-     endif %}
{%-   else %}

openstack-stage-1-secrets:
  salt.runner:
    - name: openstack.secrets
{%-   endif %}

openstack-stage-1-validate:
  test.succeed_without_changes:
    - name: {{ check.comment | yaml_dquote }}
    - require:
      - openstack-stage-1-secrets

{%-   set ns = namespace(previous='openstack-stage-1-validate', stopped=(stop_after == 'validate')) %}
{%-   for stage in stages %}
{%-     if stage.steps and not ns.stopped and (not only or stage.name in only) %}
{%-       for step in stage.steps if step_hosts[step.name] %}
{%-         set targets = step_hosts[step.name] %}
{%-         if step.get('mine_update') %}
{#-           Hosts that have not yet published what this step reads from
              the mine (it refreshes at minion start; a host whose service
              came later needs a nudge). #}
{%-           set published = salt['saltutil.runner']('mine.get', tgt=targets | join(','), fun=step.mine_update, tgt_type='list') or {} %}
{%-           set unpublished = targets | reject('in', published) | list %}
{%-           if unpublished %}

# Stage {{ stage.number }} ({{ stage.name }}): hosts publish {{ step.mine_update }} to the mine.
openstack-stage-{{ stage.number }}-{{ step.name }}-mine:
  salt.function:
    - name: mine.update
    - tgt: {{ unpublished | join(',') }}
    - tgt_type: list
    - timeout: {{ step.get('timeout', step_timeout) }}
    - require:
      - {{ ns.previous }}
{%-             set ns.previous = 'openstack-stage-' ~ stage.number ~ '-' ~ step.name ~ '-mine' %}
{%-           endif %}
{%-         endif %}

# Stage {{ stage.number }} ({{ stage.name }}): {{ step.what }}.
openstack-stage-{{ stage.number }}-{{ step.name }}:
  salt.state:
    - tgt: {{ targets | join(',') }}
    - tgt_type: list
    - sls: {{ step.sls | json }}
    # see step_timeout in salt/stages.yaml
    - timeout: {{ step.get('timeout', step_timeout) }}
{%-         if not step.get('parallel', true) %}
    - batch: 1
{%-         endif %}
{%-         if step.get('even_in_test') %}
    - test: false
{%-         endif %}
    - require:
      - {{ ns.previous }}
{%-         set ns.previous = 'openstack-stage-' ~ stage.number ~ '-' ~ step.name %}
{%-       endfor %}
{%-     endif %}
{%-     if stage.name == stop_after %}
{%-       set ns.stopped = true %}
{%-     endif %}
{%-   endfor %}
{%- endif %}
