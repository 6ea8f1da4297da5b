{#- Guide 07-openstack-controller steps 21-22 (02-mysql-install.sh,
    03-mysql-start.sh): MariaDB, listening on the controller's LAN address
    only, with the root password from pillar. The guide printed that password
    on the terminal; here it stays in pillar and in /root/.my.cnf (0600).
    Where it listens: openstack:firewall:services mariadb (binds.jinja). #}
{%- from "map.jinja" import openstack with context %}
{%- from "binds.jinja" import listener with context %}
{%- set mariadb = listener('mariadb') | load_json %}

database-server-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.database | json }}

# saltext-mysql: Salt 3008 has no mysql_* states in core any more.
database-server-salt-extension:
  pip.installed:
    - pkgs: {{ openstack.salt_extensions | json }}
    - bin_env: {{ grains.pythonexecutable }}
    - reload_modules: true

database-server-config:
  file.managed:
    - name: {{ openstack.database.config }}
    - user: root
    - group: root
    - mode: "0644"
    - contents: |
        # Managed by Salt (database.server).
        [mysqld]
        bind-address = {{ mariadb.address or '0.0.0.0' }}
        default-storage-engine = innodb
        innodb_file_per_table = on
        max_connections = 4096
        collation-server = utf8_general_ci
        character-set-server = utf8
    - require:
      - pkg: database-server-packages

database-server-service:
  service.running:
    - name: {{ openstack.units.database }}
    - enable: true
    - watch:
      - file: database-server-config

database-server-root-password:
  mysql_user.present:
    - name: root
    - host: localhost
    - password: {{ openstack.secrets.mysql_root_password | json }}
    # root logs in through the local socket; the password is for tools
    - unix_socket: true
    - connection_user: root
    - connection_pass: {{ openstack.secrets.mysql_root_password | json }}
    - connection_unix_socket: {{ openstack.database.socket }}
    - require:
      - service: database-server-service
      - pip: database-server-salt-extension

database-server-root-my-cnf:
  file.managed:
    - name: /root/.my.cnf
    - user: root
    - group: root
    - mode: "0600"
    - show_changes: false
    - contents: |
        # Managed by Salt (database.server).
        [client]
        user = root
        password = {{ openstack.secrets.mysql_root_password }}
