{#- The verification's first part, on the controller (orchestration step
    openstack-verify-api): the guide's section 10 (10-openstack-controller)
    checks that only ask the API, with the admin credentials of
    /root/admin-openrc (step 57 sources configrc). Each check prints PASS,
    FAIL or SKIP with its time (_states/openstack_verify.py). #}
{%- from "verify/settings.jinja" import verify, computes, users, agents with context %}
{%- from "map.jinja" import openstack with context %}

# What an earlier run left (named verify-*) is deleted first.
verify-leftovers:
  openstack_verify.check:
    - name: what an earlier run left is deleted
    - check: cleanup

# Guide 10 (step 57): `keystone user-list` works: the admin gets a token...
verify-token:
  openstack_verify.check:
    - name: the admin gets a token
    - check: token
    - require:
      - openstack_verify: verify-leftovers

# ... and sees the users of every service (guide 10: `keystone user-list`).
verify-users:
  openstack_verify.check:
    - name: user list
    - check: users
    - expected: {{ users | json }}
    - require:
      - openstack_verify: verify-token

# Guide 10: `glance index` lists the images.
verify-images:
  openstack_verify.check:
    - name: image list
    - check: images
    - expected: {{ openstack.images | map(attribute='name') | list | json }}
    - require:
      - openstack_verify: verify-token

# Guide 10: `nova-manage service list`, every service :-)
verify-compute-services:
  openstack_verify.check:
    - name: compute services up on every host
    - check: compute_services
    - hosts: {{ computes | json }}
    - require:
      - openstack_verify: verify-token

# Guide 10, today's successor of nova-network: the network agents
# (settings.jinja: per network driver).
verify-network-agents:
  openstack_verify.check:
    - name: network agents alive
    - check: network_agents
    - expected: {{ agents | json }}
    - require:
      - openstack_verify: verify-token

# Guide 10 (`nova-manage service list`'s spirit, today's tool): nova's own
# upgrade check passes (a warning passes, with it in the comment).
verify-nova-status:
  openstack_verify.check:
    - name: nova-status upgrade check
    - check: nova_status
    - require:
      - openstack_verify: verify-token
