#!/bin/bash
# Build the lab's rootfs of one Debian suite once: plain Debian (minbase) +
# what the lab needs (systemd as init, iproute2, python3 + python3-apt,
# openssh-server) + salt-minion of the master's exact version in a venv (the
# suite's own python3, its system site packages visible), started by systemd,
# with the Salt extensions the states use (saltext-mysql).
#
#   usage: build-rootfs.sh CACHE_DIR SUITE "SALT_REQUIREMENTS" [MIRROR]
#   e.g.   build-rootfs.sh /var/cache/openstack-salt-lab trixie "salt==3008.3 saltext-mysql==1.1.0"
# SUITE: bookworm (Debian 12, Python 3.11) or trixie (Debian 13, Python 3.13).
# (The containers cannot reach PyPI themselves: its certificate chain here is
# this machine's own. So everything pip-installed comes in at build time.)
#
# Result: CACHE_DIR/rootfs-SUITE (read-only lower layer of every lab container
# of that suite) and CACHE_DIR/rootfs-SUITE.stamp (what it was built from: the
# suite, the requirements and a hash of the recipe below, so an edit of this
# script's comments or of another suite's recipe rebuilds nothing). Built into
# a temporary directory and renamed, so an interrupted build leaves no half
# rootfs. Per-clone identity (machine-id, SSH host keys, minion key, host name)
# is NOT in the image: the lab writes it into each clone.
set -euo pipefail

USAGE='usage: build-rootfs.sh CACHE_DIR SUITE "SALT_REQUIREMENTS" [MIRROR]'
CACHE=${1:?$USAGE}
SUITE=${2:?$USAGE}
SALT_REQ=${3:?$USAGE}
MIRROR=${4:-http://deb.debian.org/debian}
PY=${PYTHON:-$(dirname "$(readlink -f "$0")")/../.venv/bin/python}
ROOTFS=$CACHE/rootfs-$SUITE
WHEELS=$CACHE/wheels-$SUITE

log() { echo "build-rootfs: $*" >&2; }

# This machine's pip config lists file:// indexes that lack most projects:
# pip says so once per project; that noise is filtered.
pip_here() {
  "$PY" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

# --- The recipe. Everything that decides the image's content is in the
# variables and functions below; the stamp hashes them (recipe_hash).

INCLUDE=systemd-sysv,dbus,iproute2,iputils-ping,procps,netbase,ca-certificates,python3,python3-apt,python3-venv,openssh-server,attr,less

# Wheels for bookworm: built on this machine (Debian 12, Python 3.11 like
# bookworm's) with this machine's pip configuration.
wheels_bookworm() {
  # shellcheck disable=SC2086  # one word per requirement
  pip_here wheel --quiet -w "$WHEELS" $SALT_REQ
}
# Installed offline in the chroot ($1), resolved from the wheels alone.
# shellcheck disable=SC2086  # one word per requirement
install_bookworm() {
  chroot "$1" /opt/saltstack/salt/bin/pip install --quiet --no-index \
    --find-links /tmp/wheels $SALT_REQ
}

# Wheels for trixie (Python 3.13; this machine has 3.11). salt 3008.x is an
# sdist only: built here into a pure-Python wheel (py3-none-any, the same for
# every Python 3). Its dependencies and those of the extensions, as the
# master venv's metadata lists them for Python 3.13 on Linux, come as cp313
# (or abi3, or pure) manylinux wheels from PyPI: the image has no compiler.
# timelib is left out: it has no wheel (C code, sdist only) and salt imports
# it in try/except only (salt/utils/dateutils.py, HAS_TIMELIB), for dates
# written in plain English, which no state of this tree uses.
wheels_trixie() {
  mkdir -p "$WHEELS"
  # shellcheck disable=SC2086  # one word per requirement
  pip_here wheel --quiet --no-deps -w "$WHEELS" $SALT_REQ
  # shellcheck disable=SC2086
  "$PY" - $SALT_REQ > "$WHEELS/deps.txt" <<'PYTHON'
import sys
from importlib.metadata import requires

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

env = dict(default_environment(), extra="")
env.update(python_version="3.13", python_full_version="3.13.5", implementation_version="3.13.5")
ours = {canonicalize_name(Requirement(spec).name) for spec in sys.argv[1:]}
seen = set()
for spec in sys.argv[1:]:
    for line in requires(Requirement(spec).name) or []:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if name in ours or name == "timelib" or (req.marker and not req.marker.evaluate(env)):
            continue
        req.marker = None
        if str(req) not in seen:
            seen.add(str(req))
            print(req)
PYTHON
  local platforms=() glibc
  for glibc in $(seq 17 39); do
    platforms+=(--platform "manylinux_2_${glibc}_x86_64")
  done
  pip_here download --quiet --only-binary=:all: --python-version 3.13 \
    --implementation cp "${platforms[@]}" -d "$WHEELS" -r "$WHEELS/deps.txt"
}
# Installed offline in the chroot ($1): the dependencies resolved by the
# chroot's own pip and Python (so a missing one fails here), then salt and
# the extensions without theirs (salt's metadata names timelib).
# shellcheck disable=SC2086  # one word per requirement
install_trixie() {
  chroot "$1" /opt/saltstack/salt/bin/pip install --quiet --no-index \
    --find-links /tmp/wheels -r /tmp/wheels/deps.txt
  chroot "$1" /opt/saltstack/salt/bin/pip install --quiet --no-index --no-deps \
    --find-links /tmp/wheels $SALT_REQ
}

# The suite's archive areas.
sources() {
  echo "deb $MIRROR $SUITE main"
  echo "deb $MIRROR $SUITE-updates main"
  echo "deb ${MIRROR%/debian}/debian-security $SUITE-security main"
}

# salt-minion as a systemd service; salt's commands on PATH; no identity.
finish() {
  local root=$1 cmd unit
  for cmd in salt-minion salt-call; do
    ln -sf /opt/saltstack/salt/bin/$cmd "$root/usr/local/bin/$cmd"
  done
  mkdir -p "$root/etc/salt/minion.d" "$root/etc/salt/pki/minion"
  cat > "$root/etc/systemd/system/salt-minion.service" <<'UNIT'
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
    "$root/etc/systemd/system/multi-user.target.wants/salt-minion.service"
  # No identity in the image: every clone gets its own.
  rm -f "$root"/etc/ssh/ssh_host_*
  : > "$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  # Units that make no sense in a container and only slow the boot.
  for unit in systemd-networkd-wait-online.service getty@tty1.service \
              console-getty.service systemd-timesyncd.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
}

recipe_hash() {
  { declare -p INCLUDE; declare -f "wheels_$SUITE" "install_$SUITE" sources finish; } |
    sha256sum | cut -c1-16
}

# --- The build.

if ! declare -F "wheels_$SUITE" > /dev/null; then
  log "suite '$SUITE': only bookworm and trixie have a recipe"
  exit 2
fi
STAMP="suite=$SUITE salt=$SALT_REQ recipe=$(recipe_hash)"

# The cache of the single-suite script before this one (CACHE/rootfs, always
# bookworm) is this bookworm recipe's image: renamed, not rebuilt, while the
# recipe is the one it was built from (hash below).
LEGACY_STAMP="suite=bookworm salt=$SALT_REQ script=e649834a4fa7e902"
LEGACY_RECIPE=c955b7dbe384c640
if [ "$SUITE" = bookworm ] && [ ! -e "$ROOTFS" ] && [ -d "$CACHE/rootfs" ] &&
   [ "$(cat "$CACHE/rootfs.stamp" 2>/dev/null)" = "$LEGACY_STAMP" ] &&
   [ "$(recipe_hash)" = "$LEGACY_RECIPE" ]; then
  mv "$CACHE/rootfs" "$ROOTFS"
  echo "$STAMP" > "$ROOTFS/.lab-stamp"
  echo "$STAMP" > "$ROOTFS.stamp"
  rm -f "$CACHE/rootfs.stamp"
  if [ -d "$CACHE/wheels" ] && [ ! -e "$WHEELS" ]; then mv "$CACHE/wheels" "$WHEELS"; fi
  log "renamed $CACHE/rootfs (bookworm, same recipe) to $ROOTFS"
fi

if [ -d "$ROOTFS" ] && [ "$(cat "$ROOTFS.stamp" 2>/dev/null)" = "$STAMP" ]; then
  log "cached: $ROOTFS"
  exit 0
fi
mkdir -p "$CACHE"

# 1. Wheels of salt and its dependencies; the chroot installs them offline.
log "wheels for $SALT_REQ ($SUITE)"
"wheels_$SUITE"

# 2. The rootfs.
TMP="$ROOTFS.new"
rm -rf "$TMP"
log "mmdebstrap $SUITE -> $TMP"
mapfile -t SOURCES < <(sources)
# shellcheck disable=SC2016  # $1: mmdebstrap's, expanded by its hook shell
mmdebstrap --variant=minbase --mode=root --format=directory \
  --include="$INCLUDE" \
  --customize-hook='mkdir -p "$1/tmp/wheels"' \
  --customize-hook="sync-in '$WHEELS' /tmp/wheels" \
  --customize-hook='chroot "$1" python3 -m venv --system-site-packages /opt/saltstack/salt' \
  --customize-hook="unset PIP_FIND_LINKS; $(declare -f "install_$SUITE"); SALT_REQ='$SALT_REQ' install_$SUITE \"\$1\"" \
  --customize-hook='rm -rf "$1/tmp/wheels"' \
  "$SUITE" "$TMP" "${SOURCES[@]}"

# 3. The service, no identity.
finish "$TMP"

# 4. The check: the minion's Python imports salt and what it needs to talk to
#    the master and to MariaDB.
if ! out=$(chroot "$TMP" /opt/saltstack/salt/bin/python -c \
  'import salt.version, zmq, saltext.mysql; print(salt.version.__version__, zmq.zmq_version())' 2>&1); then
  log "the image's salt does not import: $out"
  exit 1
fi
log "$SUITE image: salt and zmq $out"

echo "$STAMP" > "$TMP/.lab-stamp"
rm -rf "$ROOTFS"
mv "$TMP" "$ROOTFS"
echo "$STAMP" > "$ROOTFS.stamp"
log "done: $ROOTFS ($(du -sh "$ROOTFS" | cut -f1))"
