{#- The verification's second part, on the gateway (orchestration step
    openstack-verify-key): the test key pair is made where the SSH checks
    run, so its private half never leaves the gateway
    (/var/lib/openstack-salt/verify, 0600). The gateway's client reads the
    admin password from the gateway's own pillar at each call
    (settings.jinja: gateway_openrc): no credentials file is written here. #}
{%- from "verify/settings.jinja" import gateway_openrc with context %}

# The openstack client (the API calls of the gateway's checks) and ssh
# (guide step 61) on the gateway.
verify-client:
  pkg.installed:
    - pkgs: [python3-openstackclient, openssh-client]

# Guide step 59: `nova keypair-add`, the key made here.
verify-keypair:
  openstack_verify.check:
    - name: the test key pair, made on the gateway
    - check: keypair
    - openrc: {{ gateway_openrc | json }}
    - require:
      - pkg: verify-client
