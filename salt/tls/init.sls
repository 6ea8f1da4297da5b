{#- Issue 13, no guide step (the guide's cloud had no TLS): the project CA
    (`salt-run openstack.ca`, made by the orchestration's first stage) joins
    the host's trusted CAs, so every TLS client here (Python's requests under
    the OpenStack services and the openstack client, curl) trusts the
    certificates it signs: the gateway's public endpoints now, the LAN's
    when openstack:tls:internal is on. A pillar without the CA (a host
    outside the map) stops the rendering and says so. #}
{%- from "map.jinja" import openstack, ca_file with context %}
{%- set trust = openstack.ca_trust %}
{%- set ca_cert = openstack.tls.get('ca_cert') %}

tls-ca-trust-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.ca_trust | json }}

{%- if not ca_cert and opts.get('test') %}

# test=True before stage 1 made the CA: it would be made, then trusted.
tls-ca-trust:
  test.succeed_without_changes:
    - name: "openstack:tls:ca_cert: not made yet (stage 1 makes it); then trusted here"
{%- else %}
{%-   if not ca_cert %}
{%-     do raise('openstack:tls:ca_cert is not in the pillar of ' ~ grains.id
                 ~ ': the orchestration\'s validate stage (salt-run openstack.secrets) makes it') %}
{%-   endif %}

tls-ca-trust:
  file.managed:
    - name: {{ ca_file }}
    - user: root
    - group: root
    - mode: "0644"
    - makedirs: true
    - contents: {{ ca_cert | json }}
    - require:
      - pkg: tls-ca-trust-packages

tls-ca-trust-update:
  cmd.run:
    - name: {{ trust.command }}
    - onchanges:
      - file: tls-ca-trust
{%- endif %}
