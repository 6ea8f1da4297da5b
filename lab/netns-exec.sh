#!/bin/sh
# Run a command (lxc-start) in the lab's network namespace, with a /sys that
# shows that namespace's interfaces (LXC looks bridges up in /sys/class/net)
# but keeps this machine's cgroup mounts (which `ip netns exec` would hide).
# The mounts are made in a private mount namespace: nothing leaks out.
#
#   usage: netns-exec.sh NETNS COMMAND [ARG...]
set -eu
ns=${1:?usage: netns-exec.sh NETNS COMMAND [ARG...]}
shift
exec nsenter --net="/run/netns/$ns" unshare --mount --propagation private sh -euc '
  keep=$(mktemp -d /run/lab-cgroup.XXXXXX)
  mount --rbind /sys/fs/cgroup "$keep"
  mount -t sysfs sysfs /sys
  mount --rbind "$keep" /sys/fs/cgroup
  umount -l "$keep"
  rmdir "$keep"
  exec "$@"' netns-exec "$@"
