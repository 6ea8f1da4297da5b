#!/bin/bash
# Boot-test the test guest image the way nova will run it, and check that
# DHCP, the metadata service and ssh really work.
#
#   usage: sudo ./test-boot.sh [IMAGE]
#          (default /var/cache/openstack-salt-lab/guest/testguest.img;
#           built with ./build.sh first if it does not exist)
#   env:   MD_MODE=json   metadata server answers only the OpenStack JSON
#                         (tests the guest's fallback path)
#          MD_MODE=none   metadata server answers 404 to everything (the
#                         test must then FAIL: shows that it can fail)
#          BOOT_LIMIT=30  seconds allowed from qemu start to the marker
#          KEEP=1         keep the scratch directory (console log etc.)
#          MACHINE=q35    qemu machine type (default pc = i440fx, nova's default)
#          MEM=128        guest RAM in MiB (default 256)
#
# Test network, all inside a private network namespace (the machine's own
# network is not touched):
#
#   qemu --tap0-- br0 [10.77.0.1/24 + 169.254.169.254/32]
#                  |-- dnsmasq: DHCP (router, DNS, MTU 1450, option 121 route)
#                  '-- python3 metadata server on 169.254.169.254:80
#
# qemu runs with software emulation only (-accel tcg), like nova in the lab.
# Exit status 0 = every check passed.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
IMG=${1:-/var/cache/openstack-salt-lab/guest/testguest.img}
BOOT_LIMIT=${BOOT_LIMIT:-30}
MD_MODE=${MD_MODE:-ec2}
MACHINE=${MACHINE:-pc}
MEM=${MEM:-256}
NS=tgtest$$                      # network namespace name (unique per run)
GUEST_HOSTNAME=tg-$$.novalocal   # what our metadata server tells the guest

log()  { echo "test-boot: $*"; }
fail() { echo "test-boot: FAIL: $*" >&2; FAILED=1; exit 1; }

[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }

# ---- 0. tools and image ----------------------------------------------------
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v qemu-img  >/dev/null || need+=(qemu-utils)
command -v dnsmasq   >/dev/null || need+=(dnsmasq-base)
command -v ssh       >/dev/null || need+=(openssh-client)
command -v python3   >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need[@]}" ||
    { apt-get update && apt-get install -y --no-install-recommends "${need[@]}"; }
fi
if [ ! -s "$IMG" ]; then
  log "no image at $IMG, building it"
  "$HERE/build.sh" "$(dirname "$IMG")"
fi
FORMAT=$(qemu-img info "$IMG" | sed -n 's/^file format: //p')

# ---- 1. scratch dir + cleanup ------------------------------------------------
T=$(mktemp -d /tmp/testguest-test.XXXXXX)
PIDS=()
FAILED=0
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  if [ "$FAILED" != 0 ] && [ -s "$T/console.log" ]; then
    echo "----- last lines of the guest console -----" >&2
    tr -d '\r' < "$T/console.log" | tail -n 40 >&2
  fi
  if [ -n "${KEEP:-}" ]; then log "kept $T"; else rm -rf "$T"; fi
}
trap 'FAILED=$?; cleanup' EXIT

# ---- 2. network namespace with bridge + tap ----------------------------------
ip netns add "$NS"
# nsx CMD: run CMD inside the namespace.  (Background jobs below call
# "ip netns exec" directly, so that $! is the PID of the real process.)
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up
nsx ip link add br0 type bridge
nsx ip addr add 10.77.0.1/24 dev br0
nsx ip addr add 169.254.169.254/32 dev br0      # the metadata address
nsx ip tuntap add tap0 mode tap                   # qemu's end of the wire
nsx ip link set tap0 master br0
nsx ip link set tap0 up
nsx ip link set br0 up

# ---- 3. DHCP: dnsmasq, like neutron's DHCP agent -----------------------------
# Like neutron, the port's MAC gets a fixed address (--dhcp-host; this also
# skips dnsmasq's ping check of new addresses, which costs seconds).
# Option 121 (classless static routes) routes the metadata address via
# 10.77.0.1 and includes the default route (RFC 3442: the client ignores
# the router option when 121 is present).  MTU 1450 as on a VXLAN network.
nsx dnsmasq --conf-file=/dev/null --no-hosts --no-resolv --port=0 \
  --user=root --bind-interfaces --interface=br0 --except-interface=lo \
  --dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h \
  --dhcp-host=52:54:00:77:00:10,10.77.0.123 \
  --dhcp-option=option:router,10.77.0.1 \
  --dhcp-option=option:dns-server,10.77.0.1 \
  --dhcp-option=option:mtu,1450 \
  --dhcp-option=option:classless-static-route,169.254.169.254/32,10.77.0.1,0.0.0.0/0,10.77.0.1 \
  --dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" \
  --log-dhcp --log-facility="$T/dnsmasq.log"
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$T/dnsmasq.pid" ] && break; sleep 0.2; done
PIDS+=("$(cat "$T/dnsmasq.pid")")

# ---- 4. a fresh ssh key, and the metadata server -----------------------------
ssh-keygen -q -t ed25519 -N '' -C testguest-test -f "$T/id"
ssh-keygen -q -t ed25519 -N '' -C wrong-key      -f "$T/wrong"   # never given to the guest

cat > "$T/metadata.py" <<'PY'
# Minimal stand-in for nova's metadata API: the EC2-style paths and the
# OpenStack meta_data.json, with one public key.  Logs every request.
import http.server, json, sys
key, hostname, mode, logfile = sys.argv[1:5]
key = open(key).read().strip()
ec2 = {
    "/latest/meta-data/public-keys/0/openssh-key": key + "\n",
    "/latest/meta-data/hostname": hostname,
    "/latest/meta-data/instance-id": "i-00000001",
}
osj = json.dumps({"uuid": "00000000-0000-0000-0000-000000000001",
                  "hostname": hostname, "name": hostname.split(".")[0],
                  "public_keys": {"testkey": key + "\n"},
                  "keys": [{"name": "testkey", "type": "ssh", "data": key + "\n"}]})
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = None
        if mode == "none":
            pass                              # broken metadata service
        elif self.path == "/openstack/latest/meta_data.json":
            body = osj
        elif mode == "ec2":
            body = ec2.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        if body is not None:
            self.wfile.write(body.encode())
    def log_message(self, fmt, *args):
        with open(logfile, "a") as f:
            f.write("%s %s\n" % (self.client_address[0], fmt % args))
http.server.HTTPServer(("169.254.169.254", 80), H).serve_forever()
PY
ip netns exec "$NS" python3 "$T/metadata.py" "$T/id.pub" "$GUEST_HOSTNAME" "$MD_MODE" "$T/metadata.log" &
PIDS+=($!)

# ---- 5. boot the guest ---------------------------------------------------------
# Like nova/libvirt: BIOS boot from a virtio disk, virtio NIC on a tap,
# serial console to a file.  snapshot=on: the image file is not modified.
log "booting $IMG ($FORMAT) with qemu TCG, machine $MACHINE, metadata mode $MD_MODE"
START=$(date +%s.%N)
ip netns exec "$NS" qemu-system-x86_64 -accel tcg -machine "$MACHINE" -m "$MEM" -nographic \
  -drive file="$IMG",format="$FORMAT",if=virtio,snapshot=on \
  -netdev tap,id=net0,ifname=tap0,script=no,downscript=no \
  -device virtio-net-pci,netdev=net0,mac=52:54:00:77:00:10 \
  -serial file:"$T/console.log" -monitor unix:"$T/monitor",server,nowait \
  </dev/null >"$T/qemu.out" 2>&1 &
QEMU=$!
PIDS+=($QEMU)

# ---- 6. wait for the marker ------------------------------------------------------
MARKER=
while :; do
  MARKER=$( { tr -d "\r" < "$T/console.log"; } 2>/dev/null | grep -m1 -E '^TESTGUEST (READY|ERROR)' || true)
  [ -n "$MARKER" ] && break
  kill -0 $QEMU 2>/dev/null || fail "qemu exited: $(cat "$T/qemu.out")"
  ELAPSED=$(awk -v s="$START" -v n="$(date +%s.%N)" 'BEGIN { print n - s }')
  awk -v e="$ELAPSED" -v l="$BOOT_LIMIT" 'BEGIN { exit !(e > l) }' &&
    fail "no TESTGUEST marker within ${BOOT_LIMIT}s"
  sleep 0.2
done
BOOT_TIME=$(awk -v s="$START" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }')
log "console: $MARKER  (after ${BOOT_TIME}s)"
case "$MARKER" in "TESTGUEST READY "*) ;; *) fail "guest reported: $MARKER" ;; esac
IP=${MARKER#TESTGUEST READY }

# ---- 7. checks -------------------------------------------------------------------
# 7a. the address came from our DHCP server (dnsmasq's lease file)
grep -q " $IP " "$T/leases" || fail "guest IP $IP is not in dnsmasq's leases"
log "ok: DHCP lease $IP"
# 7b. the guest asked the metadata service for its key
grep -qE 'openssh-key|meta_data.json' "$T/metadata.log" || fail "guest never asked the metadata service"
grep -q "TESTGUEST HOSTNAME $GUEST_HOSTNAME" <(tr -d '\r' < "$T/console.log") ||
  fail "hostname line missing on the console"
log "ok: metadata fetched ($(wc -l < "$T/metadata.log") requests)"

SSH=(ip netns exec "$NS" ssh -o BatchMode=yes -o ConnectTimeout=10
     -o StrictHostKeyChecking=no -o UserKnownHostsFile="$T/known_hosts" -o LogLevel=ERROR)
# 7c. ssh as root with the key from the metadata service runs a command
OUT=$("${SSH[@]}" -i "$T/id" root@"$IP" \
      'echo "SSH-OK $(id -un) $(hostname)"; ip -4 route; ip link show eth0;
       [ -b /dev/vda ] && echo "DISK-OK vda"') ||
  fail "ssh root@$IP failed"
echo "$OUT" | grep -qx "SSH-OK root ${GUEST_HOSTNAME%%.*}" || fail "unexpected ssh output: $OUT"
log "ok: ssh -i key root@$IP works"
# 7d. the DHCP details were applied (option 121 route, MTU)
echo "$OUT" | grep -q '^169.254.169.254 via 10.77.0.1' || fail "no metadata route from option 121: $OUT"
echo "$OUT" | grep -q 'mtu 1450'                        || fail "DHCP MTU not applied: $OUT"
log "ok: option-121 routes and MTU 1450 applied"
echo "$OUT" | grep -q '^DISK-OK vda' || fail "virtio disk /dev/vda missing in the guest: $OUT"
log "ok: virtio disk visible as /dev/vda"
# 7e. the second login user
[ "$("${SSH[@]}" -i "$T/id" cirros@"$IP" id -un)" = cirros ] || fail "ssh cirros@$IP failed"
log "ok: ssh -i key cirros@$IP works"
# 7f. a key the guest was not given must be refused (auth is real)
if "${SSH[@]}" -i "$T/wrong" -o IdentitiesOnly=yes root@"$IP" true 2>/dev/null; then
  fail "ssh with an unknown key was accepted"
fi
log "ok: unknown key refused"
# 7g. the host key fingerprint printed on the console matches the server's
FP=$(ip netns exec "$NS" ssh-keyscan -t ed25519 "$IP" 2>/dev/null | ssh-keygen -lf - | awk '{ print $2 }')
[ -n "$FP" ] && tr -d '\r' < "$T/console.log" | grep -q "$FP" ||
  fail "ed25519 host key fingerprint '$FP' not on the console"
log "ok: host key fingerprint $FP matches the console"

# 7h. ACPI power button (what "openstack server stop" presses first)
python3 - "$T/monitor" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
time.sleep(0.3); s.sendall(b"system_powerdown\n"); time.sleep(0.3); s.close()
PY
for _ in $(seq 1 100); do kill -0 $QEMU 2>/dev/null || break; sleep 0.2; done
kill -0 $QEMU 2>/dev/null && fail "guest did not power off on the ACPI power button"
log "ok: clean power-off on ACPI power button"

log "PASS: boot to marker ${BOOT_TIME}s (limit ${BOOT_LIMIT}s, TCG), image $(du -h "$IMG" | cut -f1) $FORMAT"
