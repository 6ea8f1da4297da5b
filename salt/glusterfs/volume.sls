{#- Guide 03-glusterfs-controller step 9 (02-glusterfs-create-volume.sh):
    the volume vm-instances over one brick per compute host, replica from
    pillar (guide: 4 over 4 hosts; more hosts than the replica count give a
    distributed-replicated volume, each replica set on distinct hosts), then
    started, with the options VM images need. The state never re-creates or
    shrinks an existing volume: it refuses and says why. Runs on the
    controller only. #}
{%- from "map.jinja" import openstack, host, roles with context %}
{%- if 'controller' in host.get('roles', []) %}
{%-   set storage = openstack.storage %}
{%-   set options = dict(openstack.gluster.options) %}
{#-   The volume's root belongs to nova on every host (ids pinned by
      common.nova_user). #}
{%-   do options.update({'storage.owner-uid': openstack.nova.uid | string,
                         'storage.owner-gid': openstack.nova.gid | string}) %}
{#-   Issue 13: the bricks admit clients from the host map's addresses only
      (every host mounts the volume; the self-heal daemons run on the brick
      hosts), whatever the firewall lets through; a host outside the map
      is refused ("Authentication failed"). The list follows the host map:
      a changed map sets it again (the volume is never re-created). #}
{%-   set addresses = [] %}
{%-   for name, entry in openstack.hosts | dictsort if entry.get('ip') and entry.ip not in addresses %}
{%-     do addresses.append(entry.ip) %}
{%-   endfor %}
{%-   do options.update({'auth.allow': addresses | join(',')}) %}

glusterfs-volume-{{ storage.volume }}:
  gluster.volume_present:
    - name: {{ storage.volume }}
    - bricks:
{%-   for peer in roles.compute %}
      - {{ peer }}:{{ storage.brick_path }}/{{ storage.volume }}
{%-   endfor %}
    - replica: {{ storage.replica }}
    - start: true
    - options: {{ options | json }}
{%-   if roles.compute %}
    - require:
{%-     for peer in roles.compute %}
      - gluster: glusterfs-peer-{{ peer }}
{%-     endfor %}
{%-   endif %}

include:
  - glusterfs.peers
{%- endif %}
