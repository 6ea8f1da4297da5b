{#- The audit's checks on every host (orchestration step openstack-audit-
    hosts, salt/openstack/audit.sls): a. its listening sockets, b. its
    firewall table, d. its files that hold secrets. Each prints PASS, FAIL
    or SKIP with its time and what it found (_states/openstack_audit.py).
    This host's served_by entries come from the orchestration's pillar
    (`audit:served_by`, rendered on the master); `salt <host> state.apply
    audit.host` alone reads them from services.jinja on the host. #}
{%- from "map.jinja" import openstack with context %}
{%- set served_by = salt['pillar.get']('audit:served_by') %}
{%- if not served_by %}
{%-   from "firewall/services.jinja" import served_by with context %}
{%- endif %}
{#- d. Where the states write secrets: the directories of the config files
    (openstack:ini_files: /etc/<service>), the dashboard's settings, the
    database's client file and config, root's home (admin-openrc, .my.cnf),
    nova's SSH key, the state directory. A config file's group is its
    service's (macros.jinja config_file), the dashboard's its web server's. #}
{%- set paths = ['/root', openstack.state_dir, openstack.nova.home ~ '/.ssh'] %}
{%- set groups = {} %}
{%- for service, files in openstack.ini_files | dictsort %}
{%-   for name, path in files | dictsort %}
{%-     do groups.update({path: service}) %}
{%-     do paths.append('/' ~ path.split('/')[1:3] | join('/')) %}
{%-   endfor %}
{%- endfor %}
{%- if openstack.get('dashboard', {}).get('settings_dir') %}
{%-   set dashboard = openstack.dashboard %}
{%-   do groups.update({dashboard.settings_dir ~ '/_90_openstack_salt.py': dashboard.group}) %}
{%-   do paths.append('/' ~ dashboard.settings_dir.split('/')[1:3] | join('/')) %}
{%- endif %}
{%- if openstack.get('database', {}).get('config') %}
{%-   do paths.append('/' ~ openstack.database.config.split('/')[1:3] | join('/')) %}
{%- endif %}

# a. Issue 13: every listening socket is one this host's role serves
# (openstack:firewall:services), bound where the list says.
audit-listening:
  openstack_audit.check:
    - name: every listening socket is one the role serves
    - check: listening
    - expected: {{ served_by.get(grains.id, []) | json }}

# b. The firewall (salt/firewall) as loaded: a rule changed by hand shows.
audit-firewall:
  openstack_audit.check:
    - name: the firewall table is the one the states loaded
    - check: firewall
    - state_dir: {{ openstack.state_dir }}

# d. DESIGN.md: secrets in files 0640 root:<service> (guide steps 28, 35,
# 41, 47 wrote them world-readable).
audit-secret-files:
  openstack_audit.check:
    - name: every file holding a secret is 0640 or stricter, root:<service group>
    - check: secret_files
    - paths: {{ paths | unique | list | json }}
    - groups: {{ groups | json }}
