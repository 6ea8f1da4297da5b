#!/bin/sh
# A shell, or one command, on a lab host (run from anywhere, as root):
#
#   lab/attach.sh controller
#   lab/attach.sh compute2 ip route
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: lab/attach.sh HOST [COMMAND...]}
shift
ns=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["netns"])' \
  "$here/.run/lab/state.json")
if [ $# -gt 0 ]; then
  exec nsenter --net="/run/netns/$ns" lxc-attach -P "$here/.run/lab/lxc" -n "$name" -- "$@"
fi
exec nsenter --net="/run/netns/$ns" lxc-attach -P "$here/.run/lab/lxc" -n "$name"
