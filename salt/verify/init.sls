{#- The guide's section 10 (10-openstack-controller, steps 57-63) as checks
    run on the controller, with the admin credentials of /root/admin-openrc
    (step 57 sources configrc). Not part of any highstate: run it with
    `salt-run state.orchestrate openstack.verify`. Each check prints PASS,
    FAIL or SKIP with its time (_states/openstack_verify.py); a failed check
    fails the run. What the checks create is named verify-* and deleted at
    the end, and before the start if an earlier run left something. #}
{%- from "map.jinja" import openstack, roles with context %}
{%- set verify = openstack.verify %}
{%- set network = openstack.network.provider.name %}
{%- set computes = roles.compute %}
{%- set image = verify.image or (openstack.images[0].name if openstack.images else 'cirros') %}
{%- set boot_host = verify.boot_host or computes[1 if computes | length > 1 else 0] %}
{#- By default the next compute host after it (compute2 -> compute3). #}
{%- set next_host = computes[(computes.index(boot_host) + 1) % computes | length] if boot_host in computes else none %}
{%- set migrate_to = verify.migrate_to or (next_host if next_host != boot_host else none) %}
{%- set users = [openstack.admin.username] %}
{%- for service, spec in openstack.services | dictsort if spec.user %}
{%-   do users.append(service) %}
{%- endfor %}
{%- set agents = {'Linux bridge agent': (computes + roles.gateway) | unique | list,
                  'DHCP agent': roles.gateway, 'Metadata agent': roles.gateway} %}

verify-leftovers:
  openstack_verify.check:
    - name: what an earlier run left is deleted
    - check: cleanup

# Guide 10: `keystone user-list` works: the admin gets a token...
verify-token:
  openstack_verify.check:
    - name: the admin gets a token
    - check: token
    - require:
      - openstack_verify: verify-leftovers

# ... and sees the users of every service.
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

# Today's addition: the network agents that replaced nova-network.
verify-network-agents:
  openstack_verify.check:
    - name: network agents alive
    - check: network_agents
    - expected: {{ agents | json }}
    - require:
      - openstack_verify: verify-token

# Guide steps 58-60: a key pair, a server booted with it, ACTIVE.
verify-boot:
  openstack_verify.check:
    - name: boot {{ image }} ({{ verify.flavor }}) on {{ boot_host }}, network {{ network }}
    - check: boot
    - image: {{ image }}
    - flavor: {{ verify.flavor }}
    - network: {{ network }}
    - host: {{ boot_host }}
    - timeout: {{ verify.timeout }}
    - require:
      - openstack_verify: verify-images
      - openstack_verify: verify-compute-services
      - openstack_verify: verify-network-agents

# The guest's console (nova console-log): it booted and says so.
verify-console:
  openstack_verify.check:
    - name: console log
    - check: console_log
    - expect: {{ verify.console_expect | json }}
    - timeout: {{ verify.timeout }}
    - require:
      - openstack_verify: verify-boot

# Guide step 61: SSH in with the injected key (the address came by DHCP,
# the key from the metadata service).
verify-ssh:
  openstack_verify.check:
    - name: SSH into the guest with the injected key
    - check: ssh
    - network: {{ network }}
    - user: {{ verify.user }}
    - timeout: {{ verify.timeout }}
    - require:
      - openstack_verify: verify-console

{%- if verify.outside_url %}

# Guide 09 step 51: instances reach the outside through the gateway's NAT.
verify-outside:
  openstack_verify.check:
    - name: the guest reaches {{ verify.outside_url }} through the gateway
    - check: reaches
    - url: {{ verify.outside_url }}
    - network: {{ network }}
    - user: {{ verify.user }}
    - require:
      - openstack_verify: verify-ssh
{%- endif %}

# Guide steps 62-63: a volume, attached to the server.
verify-volume:
  openstack_verify.check:
    - name: create and attach a volume
    - check: volume
    - timeout: {{ verify.timeout }}
    - require:
      - openstack_verify: verify-ssh

{%- if migrate_to %}

# The guide's point: instances on the shared GlusterFS volume move between
# compute hosts while running, without copying their disk.
verify-live-migration:
  openstack_verify.check:
    - name: live migration {{ boot_host }} -> {{ migrate_to }}
    - check: live_migrate
    - target: {{ migrate_to }}
    - network: {{ network }}
    - user: {{ verify.user }}
    - instances_dir: {{ openstack.storage.mountpoint }}
    - timeout: {{ verify.timeout }}
    - require:
      - openstack_verify: verify-volume
{%- else %}

verify-live-migration:
  test.succeed_without_changes:
    - name: "SKIP live migration: one compute host, nowhere to move to"
{%- endif %}

verify-cleanup:
  openstack_verify.check:
    - name: what the checks created is deleted
    - check: cleanup
    - order: last
