{#- Guide 04-glusterfs-all step 10 (01-glusterfs-mount.sh): every host
    mounts the volume on /var/lib/nova/instances, where nova keeps the
    instances: shared by all compute hosts, so an instance can live-migrate
    without copying its disk. The guide appended to fstab on each run; here
    one fstab entry is enforced, with _netdev (wait for the network) and
    backup volfile servers, so one dead host does not block the mount. #}
{%- from "map.jinja" import openstack, roles with context %}
{%- set storage = openstack.storage %}

glusterfs-mount-{{ storage.volume }}:
  mount.mounted:
    - name: {{ storage.mountpoint }}
    - device: localhost:/{{ storage.volume }}
    - fstype: glusterfs
    - opts: defaults,_netdev,backup-volfile-servers={{ roles.compute | join(':') }}
    - mkmnt: true
    - persist: true
    # key=value options the kernel does not show for a mounted volume: not a
    # reason to remount
    - extra_mount_invisible_keys:
      - backup-volfile-servers
