{#- The verification's third part, on the controller (orchestration step
    openstack-verify-boot): the guide's steps 58-60 and 62-63, API only:
    the server booted with the gateway's key pair, its console, a boot
    with a config drive, a volume. #}
{%- from "verify/settings.jinja" import verify, network, image, boot_host with context %}

# Guide steps 58-60: a server booted with the key pair, ACTIVE.
verify-boot:
  openstack_verify.check:
    - name: boot {{ image }} ({{ verify.flavor }}) on {{ boot_host }}, network {{ network }}
    - check: boot
    - image: {{ image }}
    - flavor: {{ verify.flavor }}
    - network: {{ network }}
    - host: {{ boot_host }}
    - timeout: {{ verify.timeout }}

# Guide step 60: the guest's console (nova console-log): it booted and says so.
verify-console:
  openstack_verify.check:
    - name: console log
    - check: console_log
    - expect: {{ verify.console_expect | json }}
    - timeout: {{ verify.timeout }}
    - require:
      - openstack_verify: verify-boot

# Guide step 60 with `--config-drive true`: the guest reads its config
# drive and prints the uuid it found there, which must be the server's.
# On the boot host too, so that no migration target has carried an
# instance before its migration.
verify-config-drive:
  openstack_verify.check:
    - name: boot with a config drive on {{ boot_host }}, the guest reads it
    - check: config_drive
    - image: {{ image }}
    - flavor: {{ verify.flavor }}
    - network: {{ network }}
    - host: {{ boot_host }}
    - timeout: {{ verify.timeout }}
    - require:
      - openstack_verify: verify-console

# Guide steps 62-63: a volume, attached to the server.
verify-volume:
  openstack_verify.check:
    - name: create and attach a volume
    - check: volume
    - timeout: {{ verify.timeout }}
    - require:
      - openstack_verify: verify-boot
