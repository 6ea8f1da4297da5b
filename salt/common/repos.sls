{#- Guide 06-openstack-all step 16 (01-epel-add-repo.sh). On RedHat the
    OpenStack, GlusterFS and EPEL repositories come from release packages:
    the OpenStack release's own (RDO, releases.yaml), then the Storage SIG's
    and EPEL's (osfamilymap.yaml); CRB is enabled. Debian ships OpenStack
    and GlusterFS in its own archive: nothing to add. #}
{%- from "map.jinja" import openstack with context %}
{%- set packages = openstack.repos.openstack + openstack.repos.packages %}
{%- if packages %}

common-repos-release-packages:
  pkg.installed:
    - pkgs: {{ packages | json }}
{%- endif %}
{%- for repo in openstack.repos.enable %}

common-repos-enable-{{ repo }}:
  cmd.run:
    - name: dnf config-manager --set-enabled {{ repo }}
    - unless: dnf repolist --enabled {{ repo }} | grep -qw {{ repo }}
{%- endfor %}
