{#- Live migration over SSH (replaces guide step 14's unauthenticated TCP).
    The source host's libvirtd (root, peer-to-peer migration) connects to
    qemu+ssh://nova@<dest>/system with nova's key (nova.compute sets that
    URI): every compute host holds the cloud's nova key pair (generated once
    on the master, openstack:secrets:nova_migration_ssh_key), accepts that
    key from the LAN only, and knows the other hosts' SSH host keys in the
    system-wide known_hosts, for root's and nova's ssh alike (collected with
    the Salt mine, so no first-connection prompt and no blind trust). #}
{%- from "map.jinja" import openstack, roles with context %}
{%- set home = openstack.nova.home %}
{%- set keys = salt['mine.get'](roles.compute | join(','), 'openstack_ssh_host_keys', tgt_type='list') %}

kvm-migration-ssh-service:
  service.running:
    - name: {{ openstack.units.ssh }}
    - enable: true
    - require:
      - pkg: kvm-packages

kvm-migration-libvirt-group:
  group.present:
    - name: {{ openstack.libvirt_group }}
    - addusers:
      - nova
    - require:
      - pkg: kvm-packages

kvm-migration-ssh-dir:
  file.directory:
    - name: {{ home }}/.ssh
    - user: nova
    - group: nova
    - mode: "0700"
    - makedirs: true

kvm-migration-ssh-private-key:
  file.managed:
    - name: {{ home }}/.ssh/id_ed25519
    - user: nova
    - group: nova
    - mode: "0600"
    - show_changes: false
    - contents_pillar: openstack:secrets:nova_migration_ssh_key
    - require:
      - file: kvm-migration-ssh-dir

kvm-migration-ssh-authorized-key:
  file.managed:
    - name: {{ home }}/.ssh/authorized_keys
    - user: nova
    - group: nova
    - mode: "0600"
    - contents: >-
        from="{{ openstack.network.lan_cidr }}"
        {{ openstack.secrets.nova_migration_ssh_pubkey }}
    - require:
      - file: kvm-migration-ssh-dir

kvm-migration-ssh-known-hosts:
  file.managed:
    - name: /etc/ssh/ssh_known_hosts
    - user: root
    - group: root
    - mode: "0644"
    - contents: |
{%- for name in roles.compute %}
{%-   set entry = openstack.hosts[name] %}
{%-   for type, key in (keys.get(name) or {}) | dictsort if type.endswith('.pub') %}
        {{ ([name] + entry.get('aliases', []) + [entry.ip]) | join(',') }} {{ key.split()[:2] | join(' ') }}
{%-   endfor %}
{%- endfor %}
    - require:
      - file: kvm-migration-ssh-dir
{%- for name in roles.compute if not keys.get(name) %}

kvm-migration-host-key-of-{{ name }}:
  test.fail_without_changes:
    - name: >-
        {{ name }} has published no SSH host key in the Salt mine; run
        `salt {{ name }} mine.update` (is its SSH server installed?)
{%- endfor %}

include:
  - kvm.packages
