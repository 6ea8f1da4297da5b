{#- The audit's default-password checks on the controller (orchestration
    step openstack-audit-passwords, salt/openstack/audit.sls): e. every
    service user logs in to Keystone with its generated pillar password,
    RabbitMQ has no guest, MariaDB's root has no password login over TCP.
    Passwords are read from this host's pillar by the checks, never passed.
    MariaDB's address and port: the orchestration's pillar
    (`audit:mariadb`, its served_by entry). #}
{%- from "map.jinja" import openstack, host, urls, ca_file with context %}
{%- set mariadb = salt['pillar.get']('audit:mariadb', {}) %}
{%- set users = {openstack.admin.username: 'openstack:secrets:admin_password'} %}
{%- for service, spec in openstack.services | dictsort if spec.get('user') %}
{%-   do users.update({service: 'openstack:secrets:' ~ service ~ '_password'}) %}
{%- endfor %}

# e. Guide step 30 (keystone-init): each user's password is the generated one.
audit-keystone-passwords:
  openstack_audit.check:
    - name: every service user logs in to Keystone with its pillar password
    - check: keystone_users
    - auth_url: {{ urls.keystone }}
    - users: {{ users | json }}
    - cafile: {{ ca_file }}

# e. messaging.init removed RabbitMQ's guest (guest/guest).
audit-rabbitmq-guest:
  openstack_audit.check:
    - name: RabbitMQ has no guest user
    - check: rabbitmq_users

# e. database.server: root logs in through the local socket only.
audit-mariadb-root:
  openstack_audit.check:
    - name: MariaDB's root has no password login over TCP
    - check: mariadb_root
    - address: {{ mariadb.get('address') or host.ip }}
    - port: {{ (mariadb.get('ports') or [[3306]])[0][0] }}
    - password: {"pillar": "openstack:secrets:mysql_root_password"}
