{#- How packages are installed on every host (no guide step: the guide ran
    `yum install` by hand). On Debian: no recommended packages unless named
    (the full OpenStack set otherwise pulls a kernel, libguestfs and more),
    and no service starts at install time (policy-rc.d): each service starts
    once Salt has written its config, so a package's default config never
    serves. dpkg's unsafe I/O only where pillar says the hosts are
    throwaway (the lab). #}
{%- from "map.jinja" import openstack with context %}
{%- if grains.os_family == 'Debian' %}

common-packaging-apt-options:
  file.managed:
    - name: /etc/apt/apt.conf.d/90openstack-salt
    - user: root
    - group: root
    - mode: "0644"
    - contents: |
        // Managed by Salt (common.packaging).
        APT::Install-Recommends "false";
        APT::Install-Suggests "false";
{%-   if openstack.packages.unsafe_io %}
        // Throwaway host (openstack:packages:unsafe_io): no fsync per file.
        Dpkg::Options { "--force-unsafe-io"; };
{%-   endif %}

common-packaging-no-start-at-install:
  file.managed:
    - name: /usr/sbin/policy-rc.d
    - user: root
    - group: root
    - mode: "0755"
    - contents: |
        #!/bin/sh
        # Managed by Salt (common.packaging): packages never start or restart
        # services; Salt starts each one when its configuration is in place.
        exit 101
{%- endif %}

# The Python libraries the project's custom modules use (openstack_config:
# iniparse; keystone: keystoneauth1), from the distribution. Salt reloads its
# modules after installing them.
common-packaging-salt-module-deps:
  pkg.installed:
    - pkgs: {{ openstack.pkgs.salt_modules | json }}
    - reload_modules: true
