#!/bin/sh
# Run INSIDE a lab host (the gateway: the only host with a way out before the
# orchestration's NAT): install libvirt + qemu through the lab's package
# cache, put the test guest on a bridge with DHCP and a metadata stand-in,
# boot it under TCG (domain type 'qemu') with its serial console in a file,
# and wait for its marker line.
#
#   usage: guest_boot.sh IMAGE FORMAT [LIMIT_SECONDS]
set -eu
IMG=$1
FMT=$2
LIMIT=${3:-120}
CONSOLE=/var/log/libvirt/qemu/labtest-serial.log
export DEBIAN_FRONTEND=noninteractive

if ! command -v virsh >/dev/null; then
  apt-get -q update >/dev/null
  apt-get -q install -y --no-install-recommends qemu-system-x86 libvirt-daemon-system \
    libvirt-clients dnsmasq-base >/dev/null
fi
systemctl start libvirtd
mkdir -p /var/lib/libvirt/images /var/log/libvirt/qemu
cp "$IMG" /var/lib/libvirt/images/labtest.img
chmod 0644 /var/lib/libvirt/images/labtest.img

# The guest's network: a bridge with DHCP (dnsmasq) and the metadata address.
ip link show br-labtest >/dev/null 2>&1 || ip link add br-labtest type bridge
ip addr replace 10.77.0.1/24 dev br-labtest
ip addr replace 169.254.169.254/32 dev br-labtest
ip link set br-labtest up
pkill -F /run/labtest-dnsmasq.pid 2>/dev/null || true
dnsmasq --conf-file=/dev/null --interface=br-labtest --bind-interfaces --port=0 \
  --dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h \
  --dhcp-option=option:router,10.77.0.1 \
  --dhcp-option=option:classless-static-route,169.254.169.254/32,10.77.0.1,0.0.0.0/0,10.77.0.1 \
  --pid-file=/run/labtest-dnsmasq.pid --dhcp-leasefile=/run/labtest.leases
ssh-keygen -q -t ed25519 -N '' -f /run/labtest-key <<EOT >/dev/null 2>&1 || true
y
EOT
mkdir -p /run/labtest-md/latest/meta-data/public-keys/0
cp /run/labtest-key.pub /run/labtest-md/latest/meta-data/public-keys/0/openssh-key
echo labtest > /run/labtest-md/latest/meta-data/hostname
( cd /run/labtest-md && exec python3 -m http.server --bind 169.254.169.254 80 ) \
  >/run/labtest-md.log 2>&1 &
MD=$!

virsh -q destroy labtest >/dev/null 2>&1 || true
virsh -q undefine labtest >/dev/null 2>&1 || true
rm -f "$CONSOLE"
cat > /run/labtest.xml <<XML
<domain type='qemu'>
  <name>labtest</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='$FMT'/>
      <source file='/var/lib/libvirt/images/labtest.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <source bridge='br-labtest'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='$CONSOLE'/>
      <target port='0'/>
    </serial>
  </devices>
</domain>
XML
virsh -q define /run/labtest.xml >/dev/null
START=$(date +%s)
virsh -q start labtest >/dev/null
virsh dumpxml labtest | grep -q "<domain type='qemu'" || { echo "not a TCG domain"; exit 1; }

RESULT=1
while [ $(( $(date +%s) - START )) -lt "$LIMIT" ]; do
  if tr -d '\r' < "$CONSOLE" 2>/dev/null | grep -q '^TESTGUEST READY'; then
    RESULT=0
    break
  fi
  sleep 1
done
echo "seconds: $(( $(date +%s) - START ))"
tr -d '\r' < "$CONSOLE" | grep '^TESTGUEST' || tr -d '\r' < "$CONSOLE" | tail -n 30
virsh -q destroy labtest >/dev/null 2>&1 || true
virsh -q undefine labtest >/dev/null 2>&1 || true
kill $MD 2>/dev/null || true
pkill -F /run/labtest-dnsmasq.pid 2>/dev/null || true
ip link del br-labtest 2>/dev/null || true
exit $RESULT
