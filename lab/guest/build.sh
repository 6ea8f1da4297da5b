#!/bin/bash
# Build the lab's test guest image (our replacement for CirrOS).
#
#   usage: sudo ./build.sh [OUTPUT_DIR]      (default /var/cache/openstack-salt-lab/guest)
#   env:   FORCE=1          rebuild even if the cached image is up to date
#          KERNEL_PKG=...   Debian kernel package (default linux-image-cloud-amd64)
#
# Result: OUTPUT_DIR/testguest.img, a qcow2 disk image (raw if qemu-img is
# missing; see testguest.img.format) that boots with plain BIOS:
#
#   MBR (syslinux mbr.bin) -> FAT16 partition with syslinux, vmlinuz, initrd.img
#
# The initramfs *is* the whole system (busybox + dropbear + a few kernel
# modules + our scripts from ./rootfs); the kernel never mounts the disk.
# Everything comes from Debian 12 packages.  No loop devices, no mounts:
# the FAT file system is filled with mtools, syslinux installs itself into
# the image file at a byte offset.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-/var/cache/openstack-salt-lab/guest}
KERNEL_PKG=${KERNEL_PKG:-linux-image-cloud-amd64}
IMG=testguest.img
DISK_MB=64                 # virtual disk size (the flavor's disk must be >= this)
PART_START=2048            # first partition sector (1 MiB, the usual alignment)
# Kernel command line: console=ttyS0 last, so /dev/console is the serial
# port nova logs; kernel messages go to both consoles.
CMDLINE="console=tty0 console=ttyS0,115200n8 panic=10 quiet"

log() { echo "build.sh: $*" >&2; }

[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }

# ---- 0. cache check --------------------------------------------------------
# The inputs are this script and everything under rootfs/ (path, executable
# bit - the only mode bit git keeps - and contents).  If their hash equals
# the one stored beside the image, we're done.
inputs_hash() {
  (
    cd "$HERE"
    sha256sum build.sh
    find rootfs -type f -o -type l | LC_ALL=C sort | while read -r f; do
      printf '%s %s %s\n' "$( [ -x "$f" ] && echo x || echo - )" "$f" \
        "$( [ -L "$f" ] && readlink "$f" || sha256sum < "$f" | cut -d' ' -f1)"
    done
    echo "kernel=$KERNEL_PKG cmdline=$CMDLINE"
  ) | sha256sum | cut -d' ' -f1
}
HASH=$(inputs_hash)
if [ -z "${FORCE:-}" ] && [ -s "$OUT/$IMG" ] && \
   [ "$(cat "$OUT/$IMG.inputs.sha256" 2>/dev/null)" = "$HASH" ]; then
  log "$OUT/$IMG is up to date (inputs sha256 $HASH)"
  exit 0
fi

# ---- 1. build tools on this machine -----------------------------------------
# Install only what is missing (apt-get update only if needed), so a rebuild
# works offline once everything is there.
need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have dropbear     || need_pkgs+=(dropbear-bin)     # we copy its binaries + libs
have syslinux     || need_pkgs+=(syslinux)         # mtools-based installer
[ -f /usr/lib/syslinux/mbr/mbr.bin ] || need_pkgs+=(syslinux-common)
have mcopy        || need_pkgs+=(mtools)
have mkfs.vfat    || need_pkgs+=(dosfstools)
have sfdisk       || need_pkgs+=(fdisk)
have cpio         || need_pkgs+=(cpio)
have depmod       || need_pkgs+=(kmod)
have qemu-img     || need_pkgs+=(qemu-utils)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing build tools: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need_pkgs[@]}" ||
    { apt-get update && apt-get install -y --no-install-recommends "${need_pkgs[@]}"; }
fi

# Scratch directory, removed on exit whatever happens.
WORK=$(mktemp -d /tmp/testguest-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"

# ---- 2. fetch kernel + busybox packages (not installed on this machine) -----
# apt-get download just puts the .deb in the current directory; the _apt
# user must be able to write there, hence the chown.
mkdir "$WORK/debs"; chown _apt "$WORK/debs" 2>/dev/null || true
cd "$WORK/debs"
apt_download() { apt-get download "$@" || { apt-get update && apt-get download "$@"; }; }
apt_download "$KERNEL_PKG" busybox-static
# linux-image-cloud-amd64 is a meta package; its Depends names the real,
# versioned kernel package (e.g. linux-image-6.1.0-28-cloud-amd64).
real_kernel=$(dpkg-deb -f "${KERNEL_PKG}"_*.deb Depends | tr ',' '\n' |
              sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n1)
if [ -n "$real_kernel" ]; then
  apt_download "$real_kernel"
  rm -f "${KERNEL_PKG}"_*.deb
fi
mkdir "$WORK/pkg"
for deb in *.deb; do dpkg-deb -x "$deb" "$WORK/pkg"; done
KDIR=$(ls -d "$WORK"/pkg/lib/modules/*/ | head -n1)
KVER=$(basename "$KDIR")
log "kernel $KVER"
# The .deb has no modules.dep (its postinst would create it): make one so
# that modprobe can tell us each module's dependencies.
depmod -b "$WORK/pkg" "$KVER"

# ---- 3. assemble the initramfs tree -----------------------------------------
R=$WORK/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,home/cirros,var/empty,var/log,lib64}
ln -s ../run "$R/var/run"

# busybox: one static binary; one symlink per applet (sh, ip, udhcpc, ...).
cp "$WORK/pkg/bin/busybox" "$R/bin/busybox"
for applet in $("$R/bin/busybox" --list-full); do
  [ -e "$R/$applet" ] || ln -s /bin/busybox "$R/$applet"
done
# The kernel starts /init from the initramfs; as "init" busybox becomes init
# and reads /etc/inittab.
ln -s /bin/busybox "$R/init"

# dropbear (sshd) + dropbearkey, with the shared libraries they need
# (taken from this build machine, which must be Debian 12 too).
copy_with_libs() {
  local bin=$1 dest=$2 lib
  install -D -m 755 "$bin" "$R$dest"
  for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
    [ -e "$R$lib" ] || install -D -m 755 "$(readlink -f "$lib")" "$R$lib"
  done
}
copy_with_libs /usr/sbin/dropbear   /usr/sbin/dropbear
copy_with_libs /usr/bin/dropbearkey /usr/bin/dropbearkey

# Kernel modules: the ones rcS loads plus whatever they depend on. The
# config drive is an ISO 9660 cdrom that nova's libvirt driver puts on the
# IDE bus of the "pc" machine type (nova's x86 default): ata_piix, sr_mod
# (with cdrom, libata, scsi_mod) and isofs. (The cloud kernel has no AHCI:
# q35's SATA cdrom would need hw_cdrom_bus=scsi, virtio-scsi.)
MODULES="virtio_pci virtio_net virtio_blk virtio_scsi virtio_console virtio_rng
         virtio_balloon button evdev ata_piix sr_mod isofs"
for m in $MODULES; do
  modprobe -d "$WORK/pkg" -S "$KVER" --show-depends "$m" |
    awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
  rel=${ko#"$WORK/pkg"}
  install -D -m 644 "$ko" "$R$rel"
done
# modules.dep etc. describing just the copied modules.
cp "$KDIR/modules.order" "$KDIR/modules.builtin"* "$R/lib/modules/$KVER/" 2>/dev/null || true
depmod -b "$R" "$KVER"

# Our own files: inittab, rcS, udhcpc script, passwd/shadow, ...
cp -a "$HERE/rootfs/." "$R/"
chmod 600 "$R/etc/shadow"          # git does not keep this mode
chmod 700 "$R/root"
echo testguest > "$R/etc/hostname"
: > "$R/etc/resolv.conf"

# /dev/console must exist before /init runs (devtmpfs is mounted by rcS).
mknod -m 600 "$R/dev/console" c 5 1
mknod -m 666 "$R/dev/null" c 1 3

# cpio "newc" archive, gzip-compressed (the kernel unpacks it into RAM).
( cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet ) |
  gzip -9 > "$WORK/initrd.img"
cp "$WORK"/pkg/boot/vmlinuz-* "$WORK/vmlinuz"

# ---- 4. the disk image --------------------------------------------------------
# syslinux configuration: boot at once, no menu.
cat > "$WORK/syslinux.cfg" <<EOF
DEFAULT testguest
PROMPT 0
TIMEOUT 0
LABEL testguest
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND $CMDLINE
EOF

RAW=$WORK/disk.raw
truncate -s ${DISK_MB}M "$RAW"
# One bootable FAT16 partition (type 0x0e = FAT16 LBA) from 1 MiB to the end.
echo "start=$PART_START, type=e, bootable" | sfdisk --quiet "$RAW"
# MBR boot code from syslinux: finds the active partition, jumps to its
# boot sector.  440 bytes: must not overwrite the partition table.
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$RAW" bs=440 count=1 conv=notrunc status=none
# FAT file system inside the partition (mkfs.fat writes at a sector offset
# and records it as "hidden sectors", which the boot sector needs).
PART_SECTORS=$(( DISK_MB * 2048 - PART_START ))
mkfs.vfat -F 16 -n TESTGUEST --offset=$PART_START "$RAW" $(( PART_SECTORS / 2 )) >/dev/null
# mtools addresses a partition inside an image file as FILE@@BYTE-OFFSET.
OFF=$(( PART_START * 512 ))
mcopy -i "$RAW@@$OFF" "$WORK/vmlinuz" "$WORK/initrd.img" "$WORK/syslinux.cfg" ::
# Install syslinux's boot sector + ldlinux.sys/ldlinux.c32 into the partition.
syslinux --offset $OFF --install "$RAW"

# ---- 5. output ------------------------------------------------------------------
mkdir -p "$OUT"
if have qemu-img; then
  FORMAT=qcow2
  qemu-img convert -f raw -O qcow2 "$RAW" "$WORK/$IMG"
else
  FORMAT=raw
  cp --sparse=always "$RAW" "$WORK/$IMG"
fi
# Small text files beside the image: format, package versions, input hash.
echo $FORMAT > "$WORK/$IMG.format"
{
  echo "built:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "format:   $FORMAT (virtual size ${DISK_MB} MiB)"
  echo "kernel:   $KVER   cmdline: $CMDLINE"
  echo "busybox-static $(dpkg-deb -f "$WORK"/debs/busybox-static_*.deb Version)"
  dpkg-query -W -f='${Package} ${Version}\n' dropbear-bin libc6
  echo "initrd:   $(stat -c %s "$WORK/initrd.img") bytes, vmlinuz: $(stat -c %s "$WORK/vmlinuz") bytes"
} > "$WORK/$IMG.manifest"
# Move into place; the hash file last, so an interrupted build is redone.
rm -f "$OUT/$IMG.inputs.sha256"
mv "$WORK/$IMG" "$WORK/$IMG.format" "$WORK/$IMG.manifest" "$OUT/"
echo "$HASH" > "$OUT/$IMG.inputs.sha256"
log "built $OUT/$IMG ($FORMAT, $(du -h "$OUT/$IMG" | cut -f1) on disk)"
