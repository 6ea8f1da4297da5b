{#- Guide 07-openstack-controller steps 37-38 (18-add-cirros.sh,
    19-add-ubuntu.sh): register the images of openstack:images in Glance
    (each {name, source, disk_format, container_format}; source is a
    salt:// path or a URL with source_hash). The lab registers its own test
    guest (lab/guest), as CirrOS cannot be downloaded there. An image is
    uploaded once: an image of that name already in Glance is left alone.
    (With several of one name, none is touched.) #}
{%- from "map.jinja" import openstack with context %}
{%- from "macros.jinja" import api_has with context %}
{%- for image in openstack.get('images', []) %}
{%-   set path = '/var/lib/glance/import/' ~ image.name ~ '.img' %}

glance-image-file-{{ image.name }}:
  file.managed:
    - name: {{ path }}
    - source: {{ image.source }}
{%-   if image.get('source_hash') %}
    - source_hash: {{ image.source_hash }}
{%-   endif %}
    - makedirs: true
    - user: root
    - group: root
    - mode: "0644"

glance-image-{{ image.name }}:
  cmd.run:
    - name: >-
        . /root/admin-openrc && openstack image create
        --disk-format {{ image.get('disk_format', 'qcow2') }}
        --container-format {{ image.get('container_format', 'bare') }}
        --public --file {{ path }} {{ image.name }}
    - unless: {{ api_has('openstack image list --name ' ~ image.name ~ ' -f value -c ID') | json }}
    - shell: /bin/bash
    - require:
      - file: glance-image-file-{{ image.name }}
      - service: glance-service
      - keystone: keystone-catalog
{%- endfor %}

include:
  - glance
  - keystone.catalog
