{#- `salt-run state.orchestrate openstack.verify`: the guide's section 10
    (10-openstack-controller, steps 57-63) against the deployed cloud. Every
    check prints PASS, FAIL or SKIP with its time (_states/openstack_verify.py);
    the run fails if any check fails. The custom modules are synced first,
    so it works on a cloud deployed by an older checkout too.

    Two hosts share the checks (salt/verify/settings.jinja): the instances'
    provider network is a wire of its own whose one host is the gateway
    (nothing is forwarded between it and the LAN), so what talks to a guest
    runs on the gateway; what only asks the API, on the controller. The
    steps run in this order (key after api by order only: a failed API
    check does not hide the guest's checks; boot needs the key pair, guest
    the server):
      api (controller)  leftovers deleted, token, users, images, compute
                        services, network agents, nova-status (step 57, 10)
      key (gateway)     the test key pair made there (step 59): the private
                        key never leaves the gateway
      boot (controller) boot, console, config drive, volume (58-60, 62-63)
      guest (gateway)   SSH, the outside, tenant isolation, live migration to
                        every other compute host (61, 09's 51)
      cleanup (both)    what the checks made, deleted; runs whatever failed
    The admin credential: the controller reads /root/admin-openrc; the
    gateway's client gets the password from the gateway's own pillar (every
    host of the map has the secrets pillar) at each call, in its environment
    only, so nothing passes through this orchestration's arguments, the job
    cache or the gateway's disk. Nothing has to travel between the two
    minions: the gateway finds the server (and its address) through the API. #}
{%- from "roles.jinja" import roles with context %}
{%- from "stages.jinja" import step_timeout with context %}
{%- set controller = roles.controller | join(',') %}
{%- set gateway = roles.gateway | join(',') %}
{%- set both = (roles.controller + roles.gateway) | unique | join(',') %}

openstack-verify-sync:
  salt.function:
    - name: saltutil.sync_all
    - tgt: {{ both }}
    - tgt_type: list
    - timeout: {{ step_timeout }}
{%- for step, tgt, after in (('api', controller, 'openstack-verify-sync'),
                             ('key', gateway, 'openstack-verify-sync'),
                             ('boot', controller, 'openstack-verify-key'),
                             ('guest', gateway, 'openstack-verify-boot')) %}

openstack-verify-{{ step }}:
  salt.state:
    - tgt: {{ tgt }}
    - tgt_type: list
    - sls: [verify.{{ step }}]
    # see step_timeout in salt/stages.yaml
    - timeout: {{ step_timeout }}
    - require:
      - salt: {{ after }}
{%- endfor %}

# After everything, whatever failed (it requires only the sync).
openstack-verify-cleanup:
  salt.state:
    - tgt: {{ both }}
    - tgt_type: list
    - sls: [verify.cleanup]
    - timeout: {{ step_timeout }}
    - require:
      - salt: openstack-verify-sync
