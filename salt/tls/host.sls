{#- Issue 13, no guide step: this host's own certificate for the LAN
    (openstack:tls:host, signed by the project CA for its name, aliases and
    LAN address), for the controller's TLS proxy in front of the internal
    API endpoints (haproxy, with openstack:tls:internal). The key is
    root's, 0600: HAProxy reads it before it drops privileges. #}
{%- from "map.jinja" import openstack with context %}
{%- set own = openstack.tls.get('host') or {} %}
{%- set dir = openstack.tls.dir %}
{%- if not (own.get('cert') and own.get('key')) %}
{%-   do raise('openstack:tls:host:cert and key are not in the pillar of ' ~ grains.id
               ~ ': the orchestration\'s validate stage (salt-run openstack.secrets) makes them') %}
{%- endif %}

tls-host-dir:
  file.directory:
    - name: {{ dir }}
    - user: root
    - group: root
    - mode: "0755"
    - makedirs: true

tls-host-cert:
  file.managed:
    - name: {{ dir }}/host.pem
    - user: root
    - group: root
    - mode: "0644"
    - contents: {{ own.cert | json }}
    - require:
      - file: tls-host-dir

tls-host-key:
  file.managed:
    - name: {{ dir }}/host.pem.key
    - user: root
    - group: root
    - mode: "0600"
    - show_changes: false
    - contents: {{ own.key | json }}
    - require:
      - file: tls-host-dir
