{#- Guide 02-glusterfs-all step 5 (02-selinux-permissive.sh): SELinux in
    permissive mode, on RedHat only (Debian does not enforce SELinux). The
    guide needed it for live migration; the mode comes from the OS family map
    (openstack:selinux:mode) so a site with a policy can set it to enforcing. #}
{%- from "map.jinja" import openstack, in_container with context %}
{%- if openstack.selinux.mode %}
{%-   if in_container %}

common-selinux-skipped-in-container:
  test.nop:
    - name: SELinux belongs to the machine the container runs on; not changed
{%-   else %}

common-selinux-mode:
  selinux.mode:
    - name: {{ openstack.selinux.mode }}
{%-   endif %}
{%- endif %}
