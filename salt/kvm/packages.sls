{#- Guide 05-kvm-compute steps 11 and 13 (01-kvm-install.sh,
    03-libvirt-install.sh): QEMU/KVM and libvirt, plus the SSH server that
    live migration uses (kvm.migration). messagebus and avahi, which the
    guide started for libvirt, are not needed any more. #}
{%- from "map.jinja" import openstack with context %}

kvm-packages:
  pkg.installed:
    - pkgs: {{ (openstack.pkgs.kvm + openstack.pkgs.ssh) | json }}
