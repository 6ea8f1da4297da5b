{#- Guide 05-kvm-compute step 12 (02-kvm-modprobe.sh): load the KVM module of
    the CPU's vendor. The guide had the reader edit the script for AMD; here
    the CPU flags decide (vmx: kvm_intel, svm: kvm_amd). Nothing is loaded
    when the CPU has neither, when pillar asks for software emulation, or in
    a container (the kernel belongs to the machine it runs on). #}
{%- from "map.jinja" import kvm_module, virt_type, in_container with context %}
{%- if in_container %}

kvm-module-skipped:
  test.nop:
    - name: in a container the kernel is the machine's; no module is loaded (virt_type {{ virt_type }})
{%- elif virt_type == 'kvm' and kvm_module %}

kvm-module:
  kmod.present:
    - name: {{ kvm_module }}
    - persist: true
{%- else %}

kvm-module-skipped:
  test.nop:
    - name: no hardware virtualisation in use; instances run under qemu (virt_type {{ virt_type }})
{%- endif %}
