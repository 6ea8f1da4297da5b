{#- Issue 13, no guide step: this host's own certificate for the LAN
    (openstack:tls:host, signed by the project CA for its name, aliases and
    LAN address), for the controller's TLS proxy in front of the internal
    API endpoints (haproxy, with openstack:tls:internal). The key is
    root's, 0600: HAProxy reads it before it drops privileges. #}
{%- from "map.jinja" import openstack with context %}
{%- from "tls/files.jinja" import cert_files with context %}
{{ cert_files('host', openstack.tls.get('host') or {}, 'root', '0600') }}
