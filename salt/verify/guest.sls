{#- The verification's fourth part, on the gateway (orchestration step
    openstack-verify-guest), the one host on the instances' wire: what
    talks to the guest over the network. The client's password comes from
    the gateway's pillar at each call (settings.jinja: gateway_openrc). #}
{%- from "verify/settings.jinja" import verify, network, boot_host, migrate_to, gateway_openrc,
                                       lan_addresses, lan_ports with context %}
{%- from "map.jinja" import openstack with context %}

# Guide step 61: SSH in with the injected key (the address came by DHCP,
# the key from the metadata service).
verify-ssh:
  openstack_verify.check:
    - name: SSH into the guest with the injected key
    - check: ssh
    - network: {{ network }}
    - user: {{ verify.user }}
    - timeout: {{ verify.timeout }}
    - openrc: {{ gateway_openrc | json }}
{%- if verify.outside_url %}

# Guide 09 step 51: instances reach the outside through the gateway's NAT.
verify-outside:
  openstack_verify.check:
    - name: the guest reaches {{ verify.outside_url }} through the gateway
    - check: reaches
    - url: {{ verify.outside_url }}
    - network: {{ network }}
    - user: {{ verify.user }}
    - openrc: {{ gateway_openrc | json }}
    - require:
      - openstack_verify: verify-ssh
{%- endif %}

# Guide 09 (the gateway's role for instances), today's wiring: from the
# guest, no LAN address answers on any port the hosts listen on (a refusal
# is an answer), while the outside does.
verify-isolation:
  openstack_verify.check:
    - name: tenant isolation, from the guest
    - check: isolation
    - addresses: {{ lan_addresses | json }}
    - ports: {{ lan_ports | json }}
    - url: {{ verify.outside_url | json }}
    - network: {{ network }}
    - user: {{ verify.user }}
    - openrc: {{ gateway_openrc | json }}
    - require:
      - openstack_verify: verify-ssh
{%- for target in migrate_to %}

# The guide's point: instances on the shared GlusterFS volume move between
# compute hosts while running, without copying their disk; to every other
# compute host in turn, each the first migration onto it, SSH after each
# and the network downtime probed every 0.5 s.
verify-live-migration-{{ target }}:
  openstack_verify.check:
    - name: live migration {{ (([boot_host] + migrate_to)[loop.index0]) }} -> {{ target }}
    - check: live_migrate
    - target: {{ target }}
    - network: {{ network }}
    - user: {{ verify.user }}
    - instances_dir: {{ openstack.storage.mountpoint }}
    - timeout: {{ verify.timeout }}
    - openrc: {{ gateway_openrc | json }}
    - require:
      - openstack_verify: {{ 'verify-ssh' if loop.first else 'verify-live-migration-' ~ loop.previtem }}
{%- endfor %}
{%- if not migrate_to %}

verify-live-migration:
  test.succeed_without_changes:
    - name: "SKIP live migration: one compute host, nowhere to move to"
{%- endif %}
