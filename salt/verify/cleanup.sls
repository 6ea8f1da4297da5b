{#- The verification's last part (orchestration step openstack-verify-
    cleanup, run whatever failed before): on the controller, what the
    checks created in the cloud (named verify-*) is deleted; on the
    gateway, its test key. #}
{%- from "verify/settings.jinja" import gateway_openrc with context %}
{%- from "map.jinja" import roles with context %}
{%- if grains.id in roles.controller %}

# Guide 10's end: nothing of the checks stays in the cloud.
verify-cleanup:
  openstack_verify.check:
    - name: what the checks created is deleted
    - check: cleanup
{%- endif %}
{%- if grains.id in roles.gateway %}

# The test key's private half leaves the gateway.
verify-cleanup-key:
  openstack_verify.check:
    - name: the test key is deleted from the gateway
    - check: cleanup
    - cloud: false
    - openrc: {{ gateway_openrc | json }}
{%- endif %}
