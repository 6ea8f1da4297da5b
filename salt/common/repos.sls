{#- Guide 06-openstack-all step 16 (01-epel-add-repo.sh). On RedHat the
    OpenStack, GlusterFS and EPEL repositories come from release packages
    (RDO, the Storage SIG, EPEL) and CRB is enabled. Debian 12 ships OpenStack
    Zed and GlusterFS 10 in its own archive: nothing to add. #}
{%- from "map.jinja" import openstack with context %}
{%- if openstack.repos.packages %}

common-repos-release-packages:
  pkg.installed:
    - pkgs: {{ openstack.repos.packages | json }}
{%- endif %}
{%- for repo in openstack.repos.enable %}

common-repos-enable-{{ repo }}:
  cmd.run:
    - name: dnf config-manager --set-enabled {{ repo }}
    - unless: dnf repolist --enabled {{ repo }} | grep -qw {{ repo }}
{%- endfor %}
