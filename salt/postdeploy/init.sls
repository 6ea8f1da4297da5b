{#- Orchestration stage 10, on the controller, once every service runs:
    - cells v2 learns the compute hosts (nova-manage cell_v2 discover_hosts);
    - guide 09-openstack-gateway step 52 (03-nova-network-create.sh): the
      instances' network, today a flat provider network and its subnet;
    - guide step 53 (04-nova-secgroup-add.sh): ping and SSH allowed by the
      admin project's default security group;
    - flavors, m1.small among them (guide step 58 boots with it), small
      enough for the lab.
    Each is done once: the `unless` of each asks whether it is there. #}
{%- from "map.jinja" import openstack, roles with context %}
{%- from "macros.jinja" import api_has with context %}
{%- set provider = openstack.network.provider %}
{%- set cli = '. /root/admin-openrc && openstack' %}

postdeploy-discover-hosts:
  cmd.run:
    - name: su -s /bin/sh -c 'nova-manage cell_v2 discover_hosts --by-service' nova
    - unless: >-
        test "$(su -s /bin/sh -c 'nova-manage cell_v2 list_hosts' nova | grep -c ' cell1 ')"
        -ge {{ roles.compute | length }}
    - shell: /bin/bash

postdeploy-provider-network:
  cmd.run:
    - name: >-
        {{ cli }} network create --share --external
        --provider-physical-network {{ provider.physical_network }}
        --provider-network-type flat {{ provider.name }}
    - unless: {{ api_has('openstack network list --name ' ~ provider.name ~ ' -f value -c ID') | json }}
    - shell: /bin/bash

postdeploy-provider-subnet:
  cmd.run:
    - name: >-
        {{ cli }} subnet create --network {{ provider.name }}
        --subnet-range {{ provider.cidr }} --gateway {{ provider.gateway }}
        --allocation-pool start={{ provider.allocation_pool.start }},end={{ provider.allocation_pool.end }}
{%- for server in provider.get('dns_nameservers', []) %}
        --dns-nameserver {{ server }}
{%- endfor %}
        {{ provider.name }}-subnet
    - unless: {{ api_has('openstack subnet list --name ' ~ provider.name ~ '-subnet -f value -c ID') | json }}
    - shell: /bin/bash
    - require:
      - cmd: postdeploy-provider-network

{#- The admin project's own default group, by ID: every project has one
    named "default". #}
{%- set group = "$(" ~ cli ~ " security group list --project " ~ openstack.admin.project
                ~ " -f value -c ID -c Name | awk '$2 == \"default\" {print $1}')" %}
{%- for proto, port in (('icmp', none), ('tcp', 22)) %}

postdeploy-default-secgroup-{{ proto }}:
  cmd.run:
    - name: >-
        {{ cli }} security group rule create --protocol {{ proto }}
        {%- if port %} --dst-port {{ port }}{% endif %} "{{ group }}"
    - unless: >-
        {{ cli }} security group rule list --protocol {{ proto }} --ingress
        -f value -c "Port Range" "{{ group }}" | grep -qx '{{ port ~ ':' ~ port if port else '' }}'
    - shell: /bin/bash
{%- endfor %}

{%- for name, spec in openstack.get('flavors', {}) | dictsort %}

postdeploy-flavor-{{ name }}:
  cmd.run:
    - name: >-
        {{ cli }} flavor create --vcpus {{ spec.vcpus }} --ram {{ spec.ram }}
        --disk {{ spec.disk }} {{ name }}
    - unless: {{ api_has('openstack flavor list --all -f value -c Name', line=name) | json }}
    - shell: /bin/bash
{%- endfor %}
