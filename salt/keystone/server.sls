{#- Guide 07-openstack-controller steps 23-29 (04-keystone-install.sh to
    10-keystone-start.sh): the package, its database connection, the schema,
    then the service. The guide's random admin token is gone: Keystone signs
    its tokens with fernet keys, and `keystone-manage bootstrap` creates the
    admin user, project, roles and the identity endpoints once. #}
{%- from "map.jinja" import openstack, controller, urls, behind_proxy, public_url with context %}
{%- from "macros.jinja" import db_url, config_file, uwsgi_connection_close with context %}
{%- from "binds.jinja" import listen_states with context %}

keystone-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.keystone | json }}

{{ config_file('keystone-config', 'keystone', 'keystone.conf', {
     'database': {'connection': db_url('keystone')},
     'token': {'provider': 'fernet'},
     'cache': {'enabled': true, 'backend': 'oslo_cache.memcache_pool', 'memcache_servers': urls.memcached},
     'oslo_middleware': behind_proxy.oslo_middleware,
   }, 'keystone-packages') }}
{{ uwsgi_connection_close('keystone-uwsgi', 'keystone', openstack.uwsgi_close.get('keystone', []), 'keystone-packages', 'keystone-service') }}

# Issue 13: the API listens on the LAN address only (binds.jinja).
{{ listen_states('keystone-listen', 'keystone', ['keystone'], 'keystone-packages', 'keystone-service') }}

# Step 27: the schema, only when it is not current.
keystone-db-sync:
  cmd.run:
    - name: keystone-manage db_sync
    - runas: keystone
    - unless: keystone-manage db_sync --check
    - require:
      - openstack_config: keystone-config

# The keys tokens and credentials are signed and encrypted with, made once.
keystone-fernet-keys:
  cmd.run:
    - name: keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone
    - creates: /etc/keystone/fernet-keys/0
    - require:
      - pkg: keystone-packages

keystone-credential-keys:
  cmd.run:
    - name: keystone-manage credential_setup --keystone-user keystone --keystone-group keystone
    - creates: /etc/keystone/credential-keys/0
    - require:
      - pkg: keystone-packages

# Step 29: the service (restarted only when its configuration changed).
keystone-service:
  service.running:
    - name: {{ openstack.units.keystone }}
    - enable: true
    - require:
      - cmd: keystone-db-sync
      - cmd: keystone-fernet-keys
      - cmd: keystone-credential-keys
    - watch:
      - openstack_config: keystone-config

# The admin credentials, like the guide's configrc (steps 20, 45, 50, 57):
# `. /root/admin-openrc` before using the openstack client. On the LAN the
# client takes the catalog's internal endpoints (the public ones are the
# gateway's, for users outside: issue 13).
keystone-admin-openrc:
  file.managed:
    - name: /root/admin-openrc
    - user: root
    - group: root
    - mode: "0600"
    - show_changes: false
    - contents: |
        # Managed by Salt (keystone.server): the cloud's admin credentials.
        export OS_AUTH_URL={{ urls.keystone }}
        export OS_IDENTITY_API_VERSION=3
        export OS_USERNAME={{ openstack.admin.username }}
        export OS_PASSWORD={{ openstack.secrets.admin_password }}
        export OS_PROJECT_NAME={{ openstack.admin.project }}
        export OS_USER_DOMAIN_NAME=Default
        export OS_PROJECT_DOMAIN_NAME=Default
        export OS_REGION_NAME={{ openstack.region }}
        export OS_INTERFACE=internal

# Step 30's first half: the admin user, project and roles and Keystone's own
# endpoints. Runs when the admin cannot get a token with pillar's password:
# the first time, and after the password changed in pillar (bootstrap
# resets it). The password travels in the environment, not the command line.
keystone-bootstrap:
  cmd.run:
    - name: >-
        . /root/admin-openrc &&
        OS_BOOTSTRAP_PASSWORD="$OS_PASSWORD" keystone-manage bootstrap
        --bootstrap-username "$OS_USERNAME"
        --bootstrap-project-name "$OS_PROJECT_NAME"
        --bootstrap-admin-url {{ urls.keystone }}
        --bootstrap-internal-url {{ urls.keystone }}
        --bootstrap-public-url {{ public_url }}:{{ openstack.catalog.keystone.port }}{{ openstack.catalog.keystone.path }}
        --bootstrap-region-id {{ openstack.region }}
    - unless: . /root/admin-openrc && openstack token issue -f value -c id
    - shell: /bin/bash
    - output_loglevel: quiet
    - require:
      - service: keystone-service
      - file: keystone-admin-openrc
