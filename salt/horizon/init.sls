{#- Guide 09-openstack-gateway steps 54-56 (openstack-dashboard, its
    local_settings, httpd): the dashboard on the gateway, the one host with
    a public address. Today's Horizon talks to Keystone v3 on the
    controller, keeps its sessions in the controller's memcached (so any
    worker process can serve a user), and signs them with a SECRET_KEY that
    `salt-run openstack.secrets` generated (horizon_secret_key). Debian's
    package is asked (debconf) for its own HTTPS site at /; plain HTTP is
    redirected there. Issue 13: that site serves the public certificate
    (tls.public) in place of the package's snakeoil one, TLS 1.2 or newer. #}
{%- from "map.jinja" import openstack, host, gateway, controller, urls, secrets with context %}
{%- set dashboard = openstack.dashboard %}
{%- set preseed = dashboard.preseed %}

{%- if preseed %}

# The package's questions are answered before it is installed, so its
# postinst builds the HTTPS site instead of the /horizon alias.
horizon-debconf-tools:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.debconf | json }}
    - reload_modules: true

horizon-preseed:
  debconf.set:
    - name: {{ preseed.package }}
    - data: {{ preseed.questions | json }}
    - require:
      - pkg: horizon-debconf-tools
    - require_in:
      - pkg: horizon-packages

# An installed package whose answers changed (installed by hand first, or
# an answer edited) is configured again with them.
horizon-reconfigure:
  cmd.run:
    - name: dpkg-reconfigure --frontend=noninteractive {{ preseed.package }}
    - env:
        DEBIAN_FRONTEND: noninteractive
    - onchanges:
      - debconf: horizon-preseed
    - require:
      - pkg: horizon-packages
    - watch_in:
      - service: horizon-web-server
{%- endif %}

horizon-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.dashboard | json }}

# Step 55: the settings. A file of our own, read after the package's
# local_settings.py, so a package upgrade never merges over it. It holds the
# SECRET_KEY: readable by the web server's group only.
horizon-settings:
  file.managed:
    - name: {{ dashboard.settings_dir }}/_90_openstack_salt.py
    - source: salt://horizon/files/local_settings.py.jinja
    - template: jinja
    - user: root
    - group: {{ dashboard.group }}
    - mode: "0640"
    - show_changes: false
    - context:
        secret_key: {{ secrets.get('horizon_secret_key', '') | json }}
        controller: {{ controller | json }}
        keystone_url: {{ urls.keystone | json }}
        memcached: {{ urls.memcached | json }}
        secure_cookies: {{ dashboard.url.startswith('https://') | json }}
        allowed_hosts: {{ ([openstack.get('public_ip'), gateway, host.get('ip')]
                            + dashboard.allowed_hosts) | select | unique | list | json }}
    - require:
      - pkg: horizon-packages

{%- if dashboard.tls_site %}

# Issue 13: the public certificate and key in the package's HTTPS site.
{%-   for directive, file in [('SSLCertificateFile', 'public.pem'), ('SSLCertificateKeyFile', 'public.pem.key')] %}

horizon-tls-{{ directive | lower }}:
  file.replace:
    - name: {{ dashboard.tls_site }}
    - pattern: '^(\s*){{ directive }}\s+.*$'
    - repl: '\g<1>{{ directive }} {{ openstack.tls.dir }}/{{ file }}'
    - require:
      - pkg: horizon-packages
      - file: tls-public-cert
      - file: tls-public-key
    - watch_in:
      - service: horizon-web-server
{%-   endfor %}
{%- endif %}
{%- if dashboard.tls_conf %}

horizon-tls-protocols:
  file.managed:
    - name: {{ dashboard.tls_conf }}
    - user: root
    - group: root
    - mode: "0644"
    - contents: |
        # Managed by Salt (horizon): TLS 1.2 or newer on every HTTPS site.
        SSLProtocol -all +TLSv1.2 +TLSv1.3
    - require:
      - pkg: horizon-packages
    - watch_in:
      - service: horizon-web-server
{%- endif %}

# Step 56: the web server. A new setting needs only a graceful reload: the
# WSGI processes start again with it.
horizon-web-server:
  service.running:
    - name: {{ openstack.units.dashboard }}
    - enable: true
    - reload: true
    - watch:
      - file: horizon-settings
      - pkg: horizon-packages
      - file: tls-public-cert
      - file: tls-public-key

include:
  - tls.public
