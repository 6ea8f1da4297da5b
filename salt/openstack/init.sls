{#- salt-run state.orchestrate openstack
    The guide's numbered script directories, run in order by the master.
    Stages: 1 validate, 2 sync, 3 gateway, 4 common, 5 glusterfs, 6 kvm,
    7 controller, 8 compute, 9 gateway services, 10 post-deploy; 11 is
    `state.orchestrate openstack.verify`. The gateway comes before common, as
    in the guide (01-network-gateway first): until the gateway does NAT, the
    LAN-only hosts cannot reach a package mirror, and common installs
    packages. The stages that exist so far are below. Every step requires the
    one before it, so the first failure stops the run, naming the host and
    the state.

    Stop after any stage and look around, as the guide invited, then run again:
      salt-run state.orchestrate openstack pillar='{"stop_after": "glusterfs"}' #}
{%- set stop_after = salt['pillar.get']('stop_after') %}

{#- Stage 1, before anything is rendered further: generate the secrets the
    user did not set (master-side, pillar/secrets/generated.sls), then check
    the whole pillar. On any problem only this one failing state is rendered,
    so no host can be touched, with or without test=True. #}
{%- do salt['saltutil.runner']('openstack.secrets') %}
{%- set check = salt['saltutil.runner']('openstack.validate') %}

openstack-stage-1-validate:
{%- if check.result %}
  test.succeed_without_changes:
    - name: {{ check.comment | yaml_dquote }}
{%- else %}
  test.fail_without_changes:
    - name: {{ (check.comment ~ ':\n- ' ~ check.problems | join('\n- ')) | yaml_dquote }}
    - comment: {{ check.problems | join('; ') | yaml_dquote }}
{%- endif %}

{%- if check.result and stop_after != 'validate' %}
{%-   from "roles.jinja" import hosts, roles with context %}
{%-   set targets = dict(roles, all=hosts | list | sort) %}
{%-   do targets.update({'lan_only': targets.all | reject('in', targets.gateway) | list}) %}

{#-   Compute hosts that have not yet published their SSH host key (the mine
      refreshes at minion start; a host whose SSH server came later needs a
      nudge before kvm.migration can write known_hosts). #}
{%-   set published = salt['saltutil.runner']('mine.get', tgt=targets.compute | join(','), fun='openstack_ssh_host_keys', tgt_type='list') or {} %}
{%-   set unpublished = targets.compute | reject('in', published) | list %}

{#-   (stage, step, what, target, sls) in order. #}
{%-   set steps = [
        ('2', 'sync', 'custom modules to every host', 'all', 'sync'),
        ('3', 'gateway-nat', 'guide 01: NAT and forwarding on the gateway', 'gateway', 'network.nat'),
        ('3', 'gateway-routes', 'guide 5.4.1: other hosts route through it', 'lan_only', 'network.route'),
        ('4', 'common', 'host map, time, repositories, nova user', 'all', 'common'),
        ('5', 'glusterfs-servers', 'guide 02: glusterd on every host', 'all', 'glusterfs.server'),
        ('5', 'glusterfs-bricks', 'bricks on the compute hosts', 'compute', 'glusterfs.brick'),
        ('5', 'glusterfs-volume', 'guide 03: peers and volume, from the controller', 'controller', 'glusterfs.volume'),
        ('5', 'glusterfs-mounts', 'guide 04: the volume on every host', 'all', 'glusterfs.mount'),
        ('6', 'kvm', 'guide 05: KVM and libvirt on compute hosts', 'compute', 'kvm'),
        ('6', 'kvm-migration', 'live migration over SSH between compute hosts', 'compute', 'kvm.migration'),
        ('7', 'controller', 'guide 07: database, queue, keystone, glance, placement, nova, neutron, cinder',
         'controller', 'database,messaging,keystone,glance,glance.images,placement,nova.controller,neutron.server,cinder'),
        ('8', 'compute', 'guide 08: nova-compute and the network agent, all compute hosts at once',
         'compute', 'nova.compute,neutron.agent'),
        ('9', 'gateway-services', 'guide 09: DHCP and metadata agents, noVNC proxy, dashboard on the gateway',
         'gateway', 'neutron.gateway,nova.novncproxy,horizon'),
        ('10', 'post-deploy', 'guide 09 steps 52-53: hosts discovered, provider network, ping and SSH, flavors',
         'controller', 'postdeploy'),
      ] %}
{%-   set stage_names = {'2': 'sync', '3': 'gateway', '4': 'common', '5': 'glusterfs', '6': 'kvm',
                         '7': 'controller', '8': 'compute', '9': 'gateway-services',
                         '10': 'post-deploy'} %}
{%-   set ns = namespace(previous='openstack-stage-1-validate', stopped=false) %}
{%-   for stage, step, what, target, sls in steps %}
{%-     if ns.stopped %}
{%-     elif step == 'kvm-migration' and unpublished %}

# Stage 6: hosts whose SSH host key is not in the mine yet publish it.
openstack-stage-6-publish-host-keys:
  salt.function:
    - name: mine.update
    - tgt: {{ unpublished | join(',') }}
    - tgt_type: list
    - require:
      - {{ ns.previous }}
{%-       set ns.previous = 'openstack-stage-6-publish-host-keys' %}
{%-     endif %}
{%-     if targets[target] and not ns.stopped %}

# Stage {{ stage }} ({{ stage_names[stage] }}): {{ what }}.
openstack-stage-{{ stage }}-{{ step }}:
  salt.state:
    - tgt: {{ targets[target] | join(',') }}
    - tgt_type: list
    - sls: {{ sls.split(',') | json }}
{%-       if sls == 'sync' %}
    # Syncing modules changes nothing on the cloud: done even under test=True,
    # so the stages after it can be planned with the modules they use.
    - test: false
{%-       endif %}
    - require:
      - {{ ns.previous }}
{%-       set ns.previous = 'openstack-stage-' ~ stage ~ '-' ~ step %}
{%-     endif %}
{%-     if stop_after == stage_names[stage] and (loop.last or steps[loop.index][0] != stage) %}
{%-       set ns.stopped = true %}
{%-     endif %}
{%-   endfor %}
{%- endif %}
