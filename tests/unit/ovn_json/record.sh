#!/usr/bin/env bash
# Records the fixtures of this directory from real OVSDB servers (see
# README.md). Needs root (ovs-vswitchd runs in a network namespace of its
# own), openvswitch-switch, ovn-central and ovn-common. Touches nothing of
# the machine's own Open vSwitch/OVN: every server, socket and log is in a
# temporary directory, and every process started here is stopped at exit.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d /tmp/ovn-record.XXXXXX)"
export OVS_RUNDIR="$work" OVS_LOGDIR="$work" OVS_DBDIR="$work" OVS_SYSCONFDIR="$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

server() { # name schema [remote-in-db]
  ovsdb-tool create "$work/$1.db" "$2"
  ovsdb-server --no-chdir --log-file="$work/$1.log" --remote="punix:$work/$1.sock" \
    ${3:+--remote="$3"} --unixctl="$work/$1.ctl" "$work/$1.db" 2>>"$work/$1.err" &
  pids+=($!)
  for _ in $(seq 50); do [[ -S $work/$1.sock ]] && return; sleep 0.1; done
  echo "ovsdb-server $1 did not start" >&2
  exit 1
}
server ovs /usr/share/openvswitch/vswitch.ovsschema
server nb /usr/share/ovn/ovn-nb.ovsschema db:OVN_Northbound,NB_Global,connections
server sb /usr/share/ovn/ovn-sb.ovsschema db:OVN_Southbound,SB_Global,connections

# The module's command lines: <tool> --db=<remote> --timeout=<s> ARGS.
vsctl() { ovs-vsctl --db="unix:$work/ovs.sock" --timeout=10 "$@"; }
nbctl() { ovn-nbctl --db="unix:$work/nb.sock" --timeout=10 "$@"; }
sbctl() { ovn-sbctl --db="unix:$work/sb.sock" --timeout=10 "$@"; }
save() { cat >"$out/$1"; }
IDS=(--format=json --columns=external_ids list Open_vSwitch)
BRIDGES=(--format=json --columns=_uuid,name,datapath_type,ports,external_ids list Bridge
  -- --columns=_uuid,name,interfaces list Port
  -- --columns=_uuid,name,type,ofport,error list Interface)
CONN=(list Connection)

# ---- local Open vSwitch
# No Open_vSwitch row yet (before `ovs-vsctl init`): ovs-vsctl waits for one
# until --timeout, then dies of SIGALRM (exit code 142).
ovs-vsctl --db="unix:$work/ovs.sock" --timeout=1 "${IDS[@]}" 2>"$out/ovs_no_row_timeout.stderr" \
  && exit 1
vsctl --no-wait init
vsctl "${IDS[@]}" | save ovs_ids_empty.json
vsctl --no-wait set Open_vSwitch . 'external_ids:"hostname"="compute1"' \
  -- set Open_vSwitch . 'external_ids:"ovn-bridge-mappings"="provider:br-provider"' \
  -- set Open_vSwitch . 'external_ids:"ovn-cms-options"="enable-chassis-as-gw,availability-zones=az1"' \
  -- set Open_vSwitch . 'external_ids:"ovn-encap-ip"="192.168.0.11"' \
  -- set Open_vSwitch . 'external_ids:"ovn-encap-type"="geneve"' \
  -- set Open_vSwitch . 'external_ids:"ovn-remote"="tcp:192.168.0.5:6642"' \
  -- set Open_vSwitch . 'external_ids:"system-id"="compute1"'
vsctl "${IDS[@]}" | save ovs_ids_chassis.json
vsctl --no-wait set Open_vSwitch . 'external_ids:"ovn-encap-ip"="192.168.0.12"' \
  -- remove Open_vSwitch . external_ids '"ovn-cms-options"'
vsctl "${IDS[@]}" | save ovs_ids_changed.json

vsctl "${BRIDGES[@]}" | save bridges_none.json
# Written to the database only (no ovs-vswitchd yet): datapath_type empty.
vsctl --no-wait --may-exist add-br br-provider -- --may-exist add-port br-provider eth2
vsctl "${BRIDGES[@]}" | save bridges_system_unapplied.json
vsctl --no-wait del-br br-provider

# ovs-vswitchd, userspace datapath only, in a network namespace holding eth2
# (one end of a veth pair); the bridges' devices live and die there.
unshare --net sh -c "ip link set lo up && ip link add eth2 type veth peer name eth2-peer \
  && ip link set eth2 up && exec ovs-vswitchd --disable-system --no-chdir \
  --log-file=$work/vswitchd.log --unixctl=$work/vswitchd.ctl unix:$work/ovs.sock" \
  2>>"$work/vswitchd.err" &
pids+=($!)
sleep 1
vsctl --may-exist add-br br-provider -- set Bridge br-provider datapath_type=netdev \
  -- --may-exist add-port br-provider eth2
# A patch port of the kind ovn-controller adds (its peer does not exist: error).
vsctl add-port br-provider patch-provnet-1 -- set Interface patch-provnet-1 type=patch \
  options:peer=patch-br-int-1
vsctl "${BRIDGES[@]}" | save bridges_netdev.json
vsctl --may-exist add-port br-provider eth9 2>/dev/null
vsctl "${BRIDGES[@]}" | save bridges_port_error.json
vsctl --may-exist add-br br-other -- set Bridge br-other datapath_type=netdev
vsctl --may-exist add-br br-other -- --may-exist add-port br-other eth2 2>"$out/add_port_other_bridge.stderr" \
  && exit 1
vsctl del-br br-other
vsctl del-br br-provider

# ---- OVN Northbound / Southbound connections
nbctl --format=json list NB_Global -- "${CONN[@]}" | save nb_connection_none.json
nbctl set-connection ptcp:6641:192.168.0.5
nbctl --format=json list NB_Global -- "${CONN[@]}" | save nb_connection.json
sbctl set-connection ptcp:6642:192.168.0.5 ptcp:6642:127.0.0.1
sbctl --format=json list SB_Global -- "${CONN[@]}" | save sb_connection_two.json
ovn-nbctl --db="unix:$work/none.sock" --timeout=10 --format=json list NB_Global \
  -- "${CONN[@]}" 2>"$out/nb_no_server.stderr" && exit 1

# ---- Southbound chassis (written with ovn-sbctl as ovn-controller 23.03 writes them)
sbctl --format=json list Chassis -- list Encap | save sb_chassis_none.json
sbctl chassis-add compute1 geneve 192.168.0.11 \
  -- set Chassis compute1 hostname=compute1 \
  'other_config:"ovn-bridge-mappings"="provider:br-provider"' \
  'other_config:"ovn-cms-options"="enable-chassis-as-gw"' \
  'other_config:"datapath-type"="netdev"' 'other_config:"iface-types"="geneve,patch,tap,vxlan"' \
  'external_ids:"neutron:ovn-metadata-id"="7f4b5c1e-6a59-4f0b-9c53-2a3cbb1f6d10"'
sbctl chassis-add compute2 geneve,vxlan 192.168.0.12 -- set Chassis compute2 hostname=compute2 \
  'other_config:"ovn-bridge-mappings"="provider:br-provider"'
sbctl --format=json list Chassis -- list Encap | save sb_chassis.json
echo "recorded into $out"
