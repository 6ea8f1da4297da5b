{#- Guide 07-openstack-controller step 30 (11-keystone-create-users.sh with
    keystone-init): the service project, a user with the admin role in it
    for each OpenStack service (and the `service` role, which 2025.1's
    services require of the service token another service sends with a
    user's request: nova's to cinder and neutron), and each service's endpoints, public,
    internal and admin, in the region. Issue 13: the public endpoint of each
    API is https on the gateway's public address, its port the same
    (salt/haproxy); internal and admin are on the controller's LAN name,
    https with openstack:tls:internal (the controller's HAProxy). keystone-init's YAML is pillar now
    (openstack:services, the catalog in defaults.yaml); the keystone state
    module keeps Keystone as the data says: it creates what is missing,
    changes a password or URL that differs, and masks every password. #}
{%- from "map.jinja" import openstack, controller, urls, public_url, internal_url, ca_file with context %}
{%- set users = [] %}
{%- set services = [] %}
{%- for name, spec in openstack.services | dictsort %}
{%-   if spec.get('user') %}
{%-     do users.append({'name': name, 'password': openstack.secrets[name ~ '_password'],
                         'project': 'service', 'roles': ['admin', 'service']}) %}
{%-   endif %}
{%-   set entry = openstack.catalog.get(name) %}
{%-   if entry %}
{%-     set url = internal_url ~ ':' ~ entry.port ~ entry.path %}
{%-     do services.append({'name': entry.get('name', name), 'type': entry.type,
                            'description': entry.description,
                            'endpoints': {'public': public_url ~ ':' ~ entry.port ~ entry.path,
                                          'internal': url, 'admin': url} }) %}
{%-   endif %}
{%- endfor %}

keystone-catalog:
  keystone.bootstrapped:
    - projects:
      - name: service
        description: The OpenStack services' own project
    - roles: [admin, member, reader, service]
    - users: {{ users | json }}
    - services: {{ services | json }}
    - region: {{ openstack.region }}
    - profile:
        auth_url: {{ urls.keystone }}
        username: {{ openstack.admin.username }}
        password: {{ openstack.secrets.admin_password | json }}
        project_name: {{ openstack.admin.project }}
        user_domain_name: Default
        project_domain_name: Default
        # Salt's Python trusts its own CA bundle, not the system's
        verify: {{ ca_file }}
    - require:
      - cmd: keystone-bootstrap

include:
  - keystone.server
