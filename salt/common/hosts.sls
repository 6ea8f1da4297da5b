{#- Guide 01-network-gateway step 3 (03-copy-hosts.sh): the host map in
    /etc/hosts on every host, so hosts reach each other by name. The guide
    copied a file with scp; here each entry is enforced, so an edited or
    deleted line comes back on the next highstate. #}
{%- from "map.jinja" import openstack with context %}

{%- for name, entry in openstack.hosts | dictsort %}

common-hosts-{{ name }}:
  host.only:
    - name: {{ entry.ip }}
    - hostnames: {{ ([name] + entry.get('aliases', [])) | json }}
{%- endfor %}

{#- Debian's installer maps the host's own name to 127.0.1.1. Services that
    look up their own name (glusterd, RabbitMQ, nova) must find the LAN
    address instead, so that line goes. #}
common-hosts-no-loopback-name:
  host.absent:
    - name: {{ grains.id }}
    - ip: 127.0.1.1
