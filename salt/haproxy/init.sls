{#- Issue 13, no guide step (the guide's users and services reached the
    APIs on the controller's LAN address in plain HTTP): HAProxy in front of
    every API of openstack:catalog, each on its own port, TLS 1.2 or newer,
    passing each request on with X-Forwarded-Proto: https so the API's
    answers link back to the https URL (map.jinja behind_proxy).
    - On the gateway: the public endpoints, on its public address and its
      LAN one (the firewall opens them: openstack:firewall:services
      public-apis), with the public certificate (tls.public), to the API on
      the controller (over TLS, checking the controller's certificate
      against the project CA, with openstack:tls:internal).
    - On the controller, with openstack:tls:internal: the internal
      endpoints, on its LAN address, with its own certificate (tls.host),
      to the API on 127.0.0.1 (binds.jinja api_listener).
    The catalog's endpoints are these (keystone.catalog). A changed
    configuration is checked before it is written, and HAProxy reloads it
    without dropping connections. #}
{%- from "map.jinja" import openstack, host, controller, controller_ip, ca_file with context %}
{%- set host_roles = host.get('roles', []) %}
{%- set internal = openstack.tls.internal %}
{%- set dir = openstack.tls.dir %}
{%- set frontends = [] %}
{%- for name, entry in openstack.catalog | dictsort %}
{%-   do frontends.append({'name': name, 'port': entry.port}) %}
{%- endfor %}
{%- if 'gateway' in host_roles and 'controller' in host_roles %}
{%-   do raise(grains.id ~ ': the gateway and the controller on one host would both proxy the APIs on its LAN address (not supported)') %}
{%- elif 'gateway' in host_roles %}
{%-   set tls_sls = 'tls.public' %}
{%-   set cert = dir ~ '/public.pem' %}
{%-   set cert_states = ['tls-public-cert', 'tls-public-key'] %}
{%-   set binds = [openstack.public_ip, host.ip] %}
{%-   set backend = {'address': controller_ip, 'tls': internal, 'name': controller,
                     'ca': ca_file} %}
{%- else %}
{%-   set tls_sls = 'tls.host' %}
{%-   set cert = dir ~ '/host.pem' %}
{%-   set cert_states = ['tls-host-cert', 'tls-host-key'] %}
{%-   set binds = [host.ip] %}
{%-   set backend = {'address': '127.0.0.1', 'tls': false} %}
{%- endif %}

haproxy-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.haproxy | json }}

haproxy-config:
  file.managed:
    - name: /etc/haproxy/haproxy.cfg
    - source: salt://haproxy/files/haproxy.cfg.jinja
    - template: jinja
    - user: root
    - group: root
    - mode: "0644"
    - check_cmd: haproxy -c -f
    - context:
        frontends: {{ frontends | json }}
        binds: {{ binds | json }}
        cert: {{ cert | json }}
        backend: {{ backend | json }}
    - require:
      - pkg: haproxy-packages
{%- for sid in cert_states %}
      - file: {{ sid }}
{%- endfor %}

haproxy-service:
  service.running:
    - name: {{ openstack.units.haproxy }}
    - enable: true
    - reload: true
    - watch:
      - file: haproxy-config
{%- for sid in cert_states %}
      - file: {{ sid }}
{%- endfor %}

include:
  - {{ tls_sls }}
