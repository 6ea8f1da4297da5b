{#- Guide 07-openstack-controller steps 39 and 44 (Qpid, installed with nova
    and started in 25-nova-start.sh). Today: RabbitMQ, with one `openstack`
    user whose password comes from pillar, and without RabbitMQ's `guest`
    account. Memcached caches Keystone's tokens for the API services. #}
{%- from "map.jinja" import openstack, host with context %}

messaging-packages:
  pkg.installed:
    - pkgs: {{ (openstack.pkgs.messaging + openstack.pkgs.memcached) | json }}

messaging-rabbitmq-service:
  service.running:
    - name: {{ openstack.units.messaging }}
    - enable: true
    - require:
      - pkg: messaging-packages

messaging-rabbitmq-user:
  rabbitmq_user.present:
    - name: openstack
    - password: {{ openstack.secrets.rabbitmq_password | json }}
    - force: false
    - perms:
      - '/':
        - '.*'
        - '.*'
        - '.*'
    - require:
      - service: messaging-rabbitmq-service

messaging-rabbitmq-no-guest:
  rabbitmq_user.absent:
    - name: guest
    - require:
      - service: messaging-rabbitmq-service

# Memcached listens on the LAN address (and loopback), not everywhere.
messaging-memcached-listen:
  file.replace:
    - name: {{ openstack.memcached.config }}
    - pattern: {{ openstack.memcached.listen_pattern | json }}
    - repl: {{ openstack.memcached.listen_line.format(ip=host.ip) | json }}
    - append_if_not_found: true
    - require:
      - pkg: messaging-packages

messaging-memcached-service:
  service.running:
    - name: {{ openstack.units.memcached }}
    - enable: true
    - watch:
      - file: messaging-memcached-listen
