{#- Guide 08-openstack-compute step 47 (03-nova-permissions.sh) made qemu run
    as nova so both can use the instances' files. On a volume shared by every
    host those files must have one owner everywhere, so the nova user and
    group get fixed ids (openstack:nova:uid/gid) before any package creates
    them with whatever id is free. #}
{%- from "map.jinja" import openstack with context %}

common-nova-group:
  group.present:
    - name: nova
    - gid: {{ openstack.nova.gid }}
    - system: true

common-nova-user:
  user.present:
    - name: nova
    - uid: {{ openstack.nova.uid }}
    - gid: {{ openstack.nova.gid }}
    - home: {{ openstack.nova.home }}
    - createhome: false
    # A shell, because live migration runs over SSH as nova (kvm.migration).
    - shell: /bin/sh
    - system: true
    - fullname: OpenStack Compute
    - require:
      - group: common-nova-group
