{#- Guide 06-openstack-all steps 17-19 (ntp install, config, start): the
    clocks of all hosts agree, or tokens and service heartbeats fail. Today
    chrony replaces ntpd/ntpdate; the servers come from pillar
    (openstack:ntp:servers, the guide's config/ntp.conf). #}
{%- from "map.jinja" import openstack, in_container with context %}

common-time-package:
  pkg.installed:
    - name: {{ openstack.chrony.pkg }}

common-time-config:
  file.managed:
    - name: {{ openstack.chrony.config }}
    - source: salt://common/files/chrony.conf.jinja
    - template: jinja
    - user: root
    - group: root
    - mode: "0644"
    - context:
        servers: {{ openstack.ntp.servers | json }}
        driftfile: {{ openstack.chrony.driftfile }}
        in_container: {{ in_container }}
    - require:
      - pkg: common-time-package

{#- In a container the clock is the machine's: chronyd runs with -x, so it
    measures but never steps or slews the clock. #}
common-time-options:
  file.managed:
    - name: {{ openstack.chrony.options_file }}
    - user: root
    - group: root
    - mode: "0644"
    - contents: |
        # Managed by Salt (common.time).
        {{ openstack.chrony.options_var }}="{{ openstack.chrony.options }}{{ ' -x' if in_container else '' }}"
    - require:
      - pkg: common-time-package

{%- if in_container %}

# A container lacks CAP_SYS_TIME, and chrony's unit refuses to start
# without it. With -x chronyd never needs it: lift that condition.
common-time-container-unit:
  file.managed:
    - name: /etc/systemd/system/{{ openstack.chrony.service }}.service.d/container.conf
    - makedirs: true
    - user: root
    - group: root
    - mode: "0644"
    - contents: |
        # Managed by Salt (common.time): chronyd -x does not set the clock.
        [Unit]
        ConditionCapability=
    - require_in:
      - service: common-time-service
    - watch_in:
      - service: common-time-service
{%- endif %}

common-time-service:
  service.running:
    - name: {{ openstack.chrony.service }}
    - enable: true
    - watch:
      - file: common-time-config
      - file: common-time-options
