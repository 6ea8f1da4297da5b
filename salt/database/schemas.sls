{#- Guide 07-openstack-controller steps 24, 32, 40 (create the keystone,
    glance and nova databases; today also placement, neutron, cinder, and
    nova's nova_api and nova_cell0). Each service's user may connect from
    the LAN only: the guide granted 'nova'@'%', open to any address. #}
{%- from "map.jinja" import openstack with context %}
{%- set lan = salt['network.convert_cidr'](openstack.network.lan_cidr) %}
{%- set lan_host = lan.network ~ '/' ~ lan.netmask %}
{%- set connection = {
      'connection_user': 'root',
      'connection_pass': openstack.secrets.mysql_root_password,
      'connection_unix_socket': openstack.database.socket,
    } %}
{%- for service, databases in openstack.databases | dictsort %}
{%-   for database in databases %}

database-schema-{{ database }}:
  mysql_database.present:
    - name: {{ database }}
{%-     for key, value in connection | dictsort %}
    - {{ key }}: {{ value | json }}
{%-     endfor %}
    - require:
      - mysql_user: database-server-root-password
{%-   endfor %}

database-user-{{ service }}:
  mysql_user.present:
    - name: {{ service }}
    - host: {{ lan_host }}
    - password: {{ openstack.secrets[service ~ '_db_password'] | json }}
{%-   for key, value in connection | dictsort %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
    - require:
      - mysql_user: database-server-root-password
{%-   for database in databases %}

database-grant-{{ service }}-{{ database }}:
  mysql_grants.present:
    - grant: all privileges
    - database: {{ database }}.*
    - user: {{ service }}
    - host: {{ lan_host }}
{%-     for key, value in connection | dictsort %}
    - {{ key }}: {{ value | json }}
{%-     endfor %}
    - require:
      - mysql_user: database-user-{{ service }}
      - mysql_database: database-schema-{{ database }}
{%-   endfor %}
{%- endfor %}

include:
  - database.server
