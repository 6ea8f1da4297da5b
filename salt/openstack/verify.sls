{#- `salt-run state.orchestrate openstack.verify`: the guide's section 10
    (steps 57-63) against the deployed cloud, from the controller. Every
    check prints PASS, FAIL or SKIP with its time (salt/verify/init.sls);
    the run fails if any check fails. The custom modules are synced first,
    so it works on a cloud deployed by an older checkout too. #}
{%- from "roles.jinja" import roles with context %}
{%- from "stages.jinja" import step_timeout with context %}

openstack-verify-sync:
  salt.function:
    - name: saltutil.sync_all
    - tgt: {{ roles.controller | join(',') }}
    - tgt_type: list
    - timeout: {{ step_timeout }}

openstack-verify:
  salt.state:
    - tgt: {{ roles.controller | join(',') }}
    - tgt_type: list
    - sls: [verify]
    # see step_timeout in salt/stages.yaml
    - timeout: {{ step_timeout }}
    - require:
      - salt: openstack-verify-sync
