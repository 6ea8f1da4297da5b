{#- The host firewall (issue 13), in place of the guide's flushes: step 1
    (01-network-gateway/01-iptables-nat.sh flushed the gateway's rules
    before its NAT) and step 4 (02-glusterfs-all/01-iptables-flush.sh
    flushed every host's rules "for testing"). Here nothing is flushed: the
    project's rules are one nftables table of their own, `inet
    openstack_salt`, replaced as a whole by each load, and every other table
    (neutron's security groups, libvirt's, the administrator's) is left as
    it is.

    Inbound, each host accepts what its roles serve (openstack:firewall:
    services, resolved by firewall/services.jinja) from the addresses that
    need it, SSH and ping from the LAN and firewall:admin_sources; on the
    gateway the dashboard and the console proxy from anywhere through its
    public interface; everything else is dropped and counted. The gateway
    also forwards the LAN and the provider network out of its public
    interface with NAT (what network.nat did with iptables), never between
    the provider network and the LAN.

    The file is checked (`nft -c`) before it is written, loaded at boot by
    the unit openstack-salt-firewall, and loaded again whenever the live
    table is not what the last load listed (<state_dir>/firewall.loaded) or
    the file is newer: a rule deleted by hand is back after one highstate,
    and a run with nothing changed loads nothing. #}
{%- from "map.jinja" import openstack, host with context %}
{%- from "firewall/services.jinja" import served_by, sources_of with context %}
{%- set rules = '/etc/openstack-salt/firewall.nft' %}
{%- set loaded = openstack.state_dir ~ '/firewall.loaded' %}
{%- set table = 'inet openstack_salt' %}
{%- set unit = openstack.units.firewall %}
{%- set ifs = host.get('interfaces', {}) %}
{%- set gateway = none %}
{%- if 'gateway' in host.get('roles', []) %}
{%-   set gateway = {
        'lan_if': ifs.lan,
        'public_if': ifs.public,
        'lan_cidr': openstack.network.lan_cidr,
        'provider_cidr': openstack.network.provider.cidr,
        'linuxbridge': openstack.network.driver == 'linuxbridge',
      } %}
{%- endif %}
{%- if grains.id in served_by %}

firewall-packages:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.firewall | json }}

# The rules of this host, checked by nft before they replace the file.
firewall-rules:
  file.managed:
    - name: {{ rules }}
    - source: salt://firewall/files/firewall.nft.jinja
    - template: jinja
    - makedirs: true
    - user: root
    - group: root
    - mode: "0644"
    - check_cmd: nft -c -f
    - context:
        host_name: {{ grains.id }}
        host_roles: {{ host.get('roles', []) | json }}
        entries: {{ served_by[grains.id] | json }}
        ping_sources: {{ sources_of.admin | json }}
        public_if: {{ ifs.get('public') | json }}
        gateway: {{ gateway | json }}
    - require:
      - pkg: firewall-packages

# Loaded at boot, before any interface is up; stopped, it removes the
# project's table only.
firewall-unit:
  file.managed:
    - name: /etc/systemd/system/{{ unit }}.service
    - user: root
    - group: root
    - mode: "0644"
    - contents: |
        # Managed by Salt (firewall): the project's nftables table.
        [Unit]
        Description=openstack-salt host firewall (table {{ table }})
        Wants=network-pre.target
        Before=network-pre.target shutdown.target
        Conflicts=shutdown.target
        DefaultDependencies=no
        [Service]
        Type=oneshot
        RemainAfterExit=yes
        ExecStart=/usr/sbin/nft -f {{ rules }}
        ExecReload=/usr/sbin/nft -f {{ rules }}
        ExecStop=-/usr/sbin/nft delete table {{ table }}
        [Install]
        WantedBy=sysinit.target

# Enabled for the next boot, and active (its start loads the file). Not
# restarted on a change: a restart would leave the host without the table
# for a moment; firewall-loaded reloads instead.
firewall-service:
  service.running:
    - name: {{ unit }}
    - enable: true
    - require:
      - file: firewall-unit
      - file: firewall-rules

# Load the file when the live table differs from what the last load listed
# (a rule changed by hand, a reboot without the unit) or the file is newer
# than that listing; then record the new listing (the audit compares the
# live table with it too).
firewall-loaded:
  cmd.run:
    - name: >-
        nft -f {{ rules }} &&
        mkdir -p {{ openstack.state_dir }} &&
        nft -s list table {{ table }} > {{ loaded }}.new &&
        mv -f {{ loaded }}.new {{ loaded }}
    - unless: >-
        test -e {{ loaded }} && ! test {{ rules }} -nt {{ loaded }} &&
        nft -s list table {{ table }} | cmp -s - {{ loaded }}
    - require:
      - service: firewall-service
{%- endif %}
