{#- Guide 5.4.1 (partitioning: vg_gluster/lv_gluster, XFS, mounted at
    /export/gluster): each compute host's brick. With
    openstack:storage:brick_device set, the device is mounted here; without
    it the filesystem must already be mounted (the lab mounts a loop-backed
    XFS). Either way the brick is a directory inside that filesystem, named
    after the volume, so a missing mount can never put the brick on the root
    filesystem. Renders nothing on hosts without the compute role. #}
{%- from "map.jinja" import openstack, host with context %}
{%- if 'compute' in host.get('roles', []) %}
{%-   set storage = openstack.storage %}
{%-   if storage.brick_device %}

glusterfs-brick-filesystem:
  mount.mounted:
    - name: {{ storage.brick_path }}
    - device: {{ storage.brick_device }}
    - fstype: xfs
    - mkmnt: true
    - persist: true
    - require_in:
      - cmd: glusterfs-brick-mounted
{%-   endif %}

glusterfs-brick-mounted:
  cmd.run:
    - name: >-
        echo "{{ storage.brick_path }} is not a mounted filesystem; refusing
        to put the brick on the root filesystem" >&2; exit 1
    - unless: mountpoint -q {{ storage.brick_path }}

# Only that it exists: once it is a brick, gluster owns it (and gives it
# the volume's owner, nova).
glusterfs-brick-directory:
  file.directory:
    - name: {{ storage.brick_path }}/{{ storage.volume }}
    - require:
      - cmd: glusterfs-brick-mounted
{%- endif %}
