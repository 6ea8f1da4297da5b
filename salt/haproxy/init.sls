{#- Issue 13, no guide step (the guide's users reached the APIs on the
    controller's LAN address in plain HTTP): the gateway's reverse proxy for
    users outside the LAN. HAProxy listens on the gateway's public address
    and its LAN one, on each API's own port of openstack:catalog (the
    firewall opens them: openstack:firewall:services public-apis), speaks
    TLS 1.2 or newer there with the public certificate (tls.public), and
    passes each request on to the API on the controller, with
    X-Forwarded-Proto: https so the API's answers link back to the https
    URL (map.jinja behind_proxy). The catalog's public endpoints are these
    (keystone.catalog). A changed configuration is checked before it is
    written, and HAProxy reloads it without dropping connections. #}
{%- from "map.jinja" import openstack, host, controller_ip with context %}
{%- set frontends = [] %}
{%- for name, entry in openstack.catalog | dictsort %}
{%-   do frontends.append({'name': name, 'port': entry.port}) %}
{%- endfor %}

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
        binds: {{ [openstack.public_ip, host.ip] | json }}
        cert: {{ (openstack.tls.dir ~ '/public.pem') | json }}
        backend: {{ controller_ip | json }}
    - require:
      - pkg: haproxy-packages
      - file: tls-public-cert
      - file: tls-public-key

haproxy-service:
  service.running:
    - name: {{ openstack.units.haproxy }}
    - enable: true
    - reload: true
    - watch:
      - file: haproxy-config
      - file: tls-public-cert
      - file: tls-public-key

include:
  - tls.public
