{#- Guide 07-openstack-controller steps 39 and 44 (Qpid, installed with nova
    and started in 25-nova-start.sh). Today: RabbitMQ, with one `openstack`
    user whose password comes from pillar, and without RabbitMQ's `guest`
    account. Memcached caches Keystone's tokens for the API services.
    Issue 13: each listens where openstack:firewall:services says
    (binds.jinja): AMQP and memcached on the LAN address only; RabbitMQ's
    Erlang distribution and the Erlang port mapper (epmd), which only the
    local command line tools use (one node, no cluster), on loopback. #}
{%- from "map.jinja" import openstack with context %}
{%- from "binds.jinja" import listener with context %}
{%- set amqp = listener('rabbitmq') | load_json %}
{%- set dist = listener('rabbitmq-cluster') | load_json %}
{%- set memcached = listener('memcached') | load_json %}
{#- rabbitmq-cluster's ports: epmd's, then the distribution's. #}
{%- set cluster_ports = [] %}
{%- for entry in openstack.firewall.services['rabbitmq-cluster'].ports %}
{%-   do cluster_ports.append(entry | int) %}
{%- endfor %}
{%- set epmd_port, dist_port = cluster_ports %}
{%- set rabbitmq = openstack.rabbitmq %}

messaging-packages:
  pkg.installed:
    - pkgs: {{ (openstack.pkgs.messaging + openstack.pkgs.memcached) | json }}

# Where RabbitMQ listens. The node is named on localhost, so rabbitmqctl
# (which reads this file too) finds it through epmd and the distribution
# port on loopback, where both listen: under the host's own name it would
# look for them on the LAN address. The tools' own distribution listener
# (35672 and up, while a command runs) is kept on loopback too. (Checked
# with Debian 12's RabbitMQ 3.10.8 and Debian 13's 4.0.5.) A node of
# another name keeps its data in another directory: renaming an existing
# node starts it empty, and this state then creates its user again.
messaging-rabbitmq-env:
  file.managed:
    - name: {{ rabbitmq.env_file }}
    - user: root
    - group: {{ rabbitmq.group }}
    - mode: "0644"
    - contents: |
        # Managed by Salt (messaging): rabbitmq-env.conf(5).
        NODENAME=rabbit@{{ 'localhost' if dist.address == '127.0.0.1' else grains.id }}
        ERL_EPMD_PORT={{ epmd_port }}
        DIST_PORT={{ dist_port }}
{%- if dist.address %}
{%-   set interface = '{' ~ dist.address.split('.') | join(',') ~ '}' %}
        ERL_EPMD_ADDRESS={{ dist.address }}
        SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {{ interface }}"
        CTL_ERL_ARGS="-kernel inet_dist_use_interface {{ interface }}"
{%- endif %}
    - require:
      - pkg: messaging-packages

# AMQP on the LAN address only (the default: every address).
messaging-rabbitmq-config:
  file.managed:
    - name: {{ rabbitmq.config }}
    - user: root
    - group: {{ rabbitmq.group }}
    - mode: "0644"
    - contents: |
        # Managed by Salt (messaging): rabbitmq.conf, AMQP's listener.
{%- if amqp.address %}
        listeners.tcp.1 = {{ amqp.address }}:{{ amqp.port }}
{%- else %}
        listeners.tcp.default = {{ amqp.port }}
{%- endif %}
    - require:
      - pkg: messaging-packages

# systemd listens for epmd (erlang-base's epmd.socket: port 4369 on every
# address) and hands it the socket, so ERL_EPMD_ADDRESS does not apply
# there: this drop-in does. (ERL_EPMD_ADDRESS covers an epmd the node
# starts itself.) A changed socket restarts epmd, which forgets the node:
# RabbitMQ restarts after it.
messaging-epmd-listen:
  file.managed:
    - name: {{ rabbitmq.epmd_dropin }}
    - makedirs: true
    - user: root
    - group: root
    - mode: "0644"
    - contents: |
        # Managed by Salt (messaging): epmd on loopback only.
        [Socket]
        ListenStream=
        ListenStream={{ dist.address ~ ':' if dist.address else '' }}{{ epmd_port }}

# systemd reads a new or changed drop-in before the socket (re)starts.
# Salt's service state did not reload for it (Debian 12, systemd 252, a
# fresh lab): the socket started with the unit's own address, the change
# counted as the state's, so its watch restarted nothing, and epmd, started
# on it by RabbitMQ, listened on *:4369.
messaging-epmd-reload:
  cmd.run:
    - name: systemctl daemon-reload
    - onchanges:
      - file: messaging-epmd-listen
    - require_in:
      - service: messaging-epmd-socket

# An epmd that already runs (on a socket of an earlier address) keeps it:
# while it listens anywhere else than the drop-in says, epmd and its socket
# are stopped; the state below starts the socket again, and RabbitMQ
# restarts after it. A run where epmd listens where it should changes
# nothing.
{%- if dist.address %}
messaging-epmd-stop:
  cmd.run:
    - name: >-
        systemctl daemon-reload &&
        systemctl stop {{ openstack.units.epmd | replace('.socket', '.service') }} {{ openstack.units.epmd }}
    - onlyif: >-
        ss -Hltn 'sport = :{{ epmd_port }}' | awk '{print $4}' |
        grep -qvx '{{ dist.address }}:{{ epmd_port }}'
    - require:
      - cmd: messaging-epmd-reload
    - require_in:
      - service: messaging-epmd-socket
{%- endif %}

messaging-epmd-socket:
  service.running:
    - name: {{ openstack.units.epmd }}
    - enable: true
    - require:
      - pkg: messaging-packages
    - watch:
      - file: messaging-epmd-listen

messaging-rabbitmq-service:
  service.running:
    - name: {{ openstack.units.messaging }}
    - enable: true
    - require:
      - pkg: messaging-packages
      - service: messaging-epmd-socket
    - watch:
      - file: messaging-rabbitmq-env
      - file: messaging-rabbitmq-config
      - file: messaging-epmd-listen
{%- if dist.address %}
      - cmd: messaging-epmd-stop
{%- endif %}

# The openstack user and its password. rabbitmqctl reads the password from
# its standard input (printf is the shell's own: no process has it in its
# arguments); rabbitmq_user.present would pass it as an argument at every
# run (authenticate_user, to check it), for any local user's `ps` to see.
# (Without -q: RabbitMQ 4.0.5's authenticate_user -q waits on its input.)
messaging-rabbitmq-user-password:
  cmd.run:
    - name: >-
        printf '%s' "$RABBITMQ_PASSWORD" | rabbitmqctl add_user openstack ||
        printf '%s' "$RABBITMQ_PASSWORD" | rabbitmqctl change_password openstack
    - unless: printf '%s' "$RABBITMQ_PASSWORD" | rabbitmqctl authenticate_user openstack
    - env:
        RABBITMQ_PASSWORD: {{ openstack.secrets.rabbitmq_password | json }}
    - output_loglevel: quiet
    - require:
      - service: messaging-rabbitmq-service

# Its permissions (no password here: the state above keeps it).
messaging-rabbitmq-user:
  rabbitmq_user.present:
    - name: openstack
    - force: false
    - perms:
      - '/':
        - '.*'
        - '.*'
        - '.*'
    - require:
      - cmd: messaging-rabbitmq-user-password

messaging-rabbitmq-no-guest:
  rabbitmq_user.absent:
    - name: guest
    - require:
      - service: messaging-rabbitmq-service

# Memcached listens on the LAN address only.
messaging-memcached-listen:
  file.replace:
    - name: {{ openstack.memcached.config }}
    - pattern: {{ openstack.memcached.listen_pattern | json }}
    - repl: {{ openstack.memcached.listen_line.format(ip=memcached.address) | json }}
    - append_if_not_found: true
    - require:
      - pkg: messaging-packages

messaging-memcached-service:
  service.running:
    - name: {{ openstack.units.memcached }}
    - enable: true
    - watch:
      - file: messaging-memcached-listen
