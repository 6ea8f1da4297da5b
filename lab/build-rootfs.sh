#!/bin/bash
# Build the lab's Debian 12 rootfs once: plain Debian (minbase) + what the lab
# needs (systemd as init, iproute2, python3 + python3-apt, openssh-server) +
# salt-minion of the master's exact version in a venv, started by systemd,
# with the Salt extensions the states use (saltext-mysql).
#
#   usage: build-rootfs.sh CACHE_DIR "SALT_REQUIREMENTS" [MIRROR]
#   e.g.   build-rootfs.sh /var/cache/openstack-salt-lab "salt==3008.3 saltext-mysql==1.1.0"
# (The containers cannot reach PyPI themselves: its certificate chain here is
# this machine's own. So everything pip-installed comes in at build time.)
#
# Result: CACHE_DIR/rootfs (read-only lower layer of every lab container) and
# CACHE_DIR/rootfs.stamp (what it was built from). Built into a temporary
# directory and renamed, so an interrupted build leaves no half rootfs.
# Per-clone identity (machine-id, SSH host keys, minion key, host name) is NOT
# in the image: the lab writes it into each clone.
set -euo pipefail

CACHE=${1:?usage: build-rootfs.sh CACHE_DIR "SALT_REQUIREMENTS" [MIRROR]}
SALT_REQ=${2:?usage: build-rootfs.sh CACHE_DIR "SALT_REQUIREMENTS" [MIRROR]}
MIRROR=${3:-http://deb.debian.org/debian}
PY=${PYTHON:-$(dirname "$(readlink -f "$0")")/../.venv/bin/python}
STAMP="suite=bookworm salt=$SALT_REQ script=$(sha256sum "$0" | cut -c1-16)"

log() { echo "build-rootfs: $*" >&2; }

if [ -d "$CACHE/rootfs" ] && [ "$(cat "$CACHE/rootfs.stamp" 2>/dev/null)" = "$STAMP" ]; then
  log "cached: $CACHE/rootfs"
  exit 0
fi
mkdir -p "$CACHE"

# 1. Wheels of salt and its dependencies, built on this machine (same Debian,
#    same Python 3.11) with this machine's pip configuration; the chroot then
#    installs them offline.
log "wheels for $SALT_REQ"
# (this machine's pip config lists file:// indexes that lack most projects:
# pip says so once per project; that noise is filtered.)
# shellcheck disable=SC2086  # one word per requirement
"$PY" -m pip wheel --quiet -w "$CACHE/wheels" $SALT_REQ \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)

# 2. The rootfs.
TMP="$CACHE/rootfs.new"
rm -rf "$TMP"
log "mmdebstrap bookworm -> $TMP"
mmdebstrap --variant=minbase --mode=root --format=directory \
  --include=systemd-sysv,dbus,iproute2,iputils-ping,procps,netbase,ca-certificates,python3,python3-apt,python3-venv,openssh-server,attr,less \
  --customize-hook='mkdir -p "$1/tmp/wheels"' \
  --customize-hook="sync-in '$CACHE/wheels' /tmp/wheels" \
  --customize-hook='chroot "$1" python3 -m venv --system-site-packages /opt/saltstack/salt' \
  --customize-hook="chroot \"\$1\" /opt/saltstack/salt/bin/pip install --quiet --no-index --find-links /tmp/wheels $SALT_REQ" \
  --customize-hook='rm -rf "$1/tmp/wheels"' \
  bookworm "$TMP" \
  "deb $MIRROR bookworm main" \
  "deb $MIRROR bookworm-updates main" \
  "deb ${MIRROR%/debian}/debian-security bookworm-security main"

# 3. salt-minion as a systemd service; salt's commands on PATH.
for cmd in salt-minion salt-call; do
  ln -sf /opt/saltstack/salt/bin/$cmd "$TMP/usr/local/bin/$cmd"
done
mkdir -p "$TMP/etc/salt/minion.d" "$TMP/etc/salt/pki/minion"
cat > "$TMP/etc/systemd/system/salt-minion.service" <<'UNIT'
[Unit]
Description=The Salt Minion (openstack-salt lab)
After=network.target

[Service]
Type=simple
ExecStart=/opt/saltstack/salt/bin/salt-minion
KillMode=process
Restart=on-failure
RestartSec=3
LimitNOFILE=8192

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/salt-minion.service \
  "$TMP/etc/systemd/system/multi-user.target.wants/salt-minion.service"

# 4. No identity in the image: every clone gets its own.
rm -f "$TMP"/etc/ssh/ssh_host_*
: > "$TMP/etc/machine-id"
rm -f "$TMP/var/lib/dbus/machine-id"
# Units that make no sense in a container and only slow the boot.
for unit in systemd-networkd-wait-online.service getty@tty1.service \
            console-getty.service systemd-timesyncd.service; do
  ln -sf /dev/null "$TMP/etc/systemd/system/$unit"
done

echo "$STAMP" > "$TMP/.lab-stamp"
rm -rf "$CACHE/rootfs"
mv "$TMP" "$CACHE/rootfs"
echo "$STAMP" > "$CACHE/rootfs.stamp"
log "done: $CACHE/rootfs ($(du -sh "$CACHE/rootfs" | cut -f1))"
