{#- Guide 05-kvm-compute steps 14-15 (04-libvirt-config.sh,
    05-libvirt-start.sh) and 08-openstack-compute step 47. The guide opened
    libvirtd on TCP with no authentication for live migration; here libvirt
    listens on its local socket only (TCP and TLS sockets stay off) and
    migration goes over SSH as the nova user (kvm.migration). As in the
    guide, QEMU runs as nova, so the instances' files on the shared volume
    have one owner on every host. #}
{%- from "map.jinja" import openstack with context %}

kvm-libvirt-qemu-conf:
  file.keyvalue:
    - name: {{ openstack.config.qemu }}
    - separator: " = "
    - uncomment: "#"
    - append_if_not_found: true
    # Under test=True on a fresh host the package (and so this file) is not
    # there yet: plan it instead of failing.
    - ignore_if_missing: {{ opts.get('test', false) | json }}
    - key_values:
        user: '"nova"'
        group: '"nova"'
    - require:
      - pkg: kvm-packages

kvm-libvirt-libvirtd-conf:
  file.keyvalue:
    - name: {{ openstack.config.libvirtd }}
    - separator: " = "
    - uncomment: "#"
    - append_if_not_found: true
    - ignore_if_missing: {{ opts.get('test', false) | json }}
    - key_values:
        # never the guide's unauthenticated TCP
        listen_tcp: "0"
        listen_tls: "0"
        unix_sock_group: '"{{ openstack.libvirt_group }}"'
        unix_sock_rw_perms: '"0770"'
        # who may use the read-write socket is decided by its group and mode
        # (root and the libvirt group: nova); no polkit daemon needed
        auth_unix_rw: '"none"'
        # each host's own UUID, even on cloned systems (migration refuses
        # two hosts with one UUID)
        host_uuid_source: '"machine-id"'
    - require:
      - pkg: kvm-packages

# libvirtd stays up: by default it exits after 120 s idle and comes back on
# the next connection; on a hypervisor host it should simply run.
kvm-libvirt-no-idle-exit:
  file.keyvalue:
    - name: {{ openstack.config.libvirtd_args }}
    - separator: "="
    - append_if_not_found: true
    - ignore_if_missing: {{ opts.get('test', false) | json }}
    - key_values:
        LIBVIRTD_ARGS: '""'
    - require:
      - pkg: kvm-packages

{%- for socket in openstack.units.libvirt_tcp_sockets %}

kvm-libvirt-no-{{ socket }}:
  service.dead:
    - name: {{ socket }}
    - enable: false
    - require:
      - pkg: kvm-packages
{%- endfor %}

kvm-libvirt-service:
  service.running:
    - name: {{ openstack.units.libvirt }}
    - enable: true
    - watch:
      - file: kvm-libvirt-qemu-conf
      - file: kvm-libvirt-libvirtd-conf
      - file: kvm-libvirt-no-idle-exit

include:
  - kvm.packages
