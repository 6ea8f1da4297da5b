{#- `salt-run state.orchestrate openstack.audit`: the security model
    (DESIGN.md, issue 13) proven on the live cloud. Every check prints PASS,
    FAIL or SKIP with its time and what it found (_utils/check_report.py);
    the run fails if any check fails. The expectations are rendered here,
    on the master, from the one list of who serves what
    (salt/audit/plan.jinja: served_by of salt/firewall/services.jinja) and
    passed to the hosts' checks as the orchestration's pillar `audit`. The
    steps are independent (each requires only the sync), so one failure
    hides nothing:
      hosts (every host)     a. every listening socket is one the role
                                serves; b. the firewall table is the one
                                the states loaded; d. every file holding a
                                secret is 0640 or stricter, root:<group>
      denied (the sources)   c. from hosts that are not supposed to get in:
                                RabbitMQ's guest, MariaDB's root, memcached,
                                libvirt over TCP fail; the volume's
                                auth.allow is the host map
      passwords (controller) e. every service user logs in to Keystone with
                                its pillar password; no RabbitMQ guest;
                                no root password login to MariaDB over TCP
      outsider (the master)  c. the lab only: from the namespace's LAN
                                address (outside the host map) glusterd,
                                the bricks and every other service do not
                                answer (SSH from the LAN may)
      public (the master)    g. the lab only: from the public network only
                                the gateway's public ports answer
      jobcache (the master)  f. no secret in clear in the master's job
                                cache (last: it sees this audit's jobs too)
    Outside the lab there is no vantage point outside the host map: the
    outsider and public steps SKIP, saying so. #}
{%- from "audit/plan.jinja" import plan with context %}
{%- from "stages.jinja" import step_timeout with context %}
{%- set all_hosts = plan.addresses | list | sort %}
{%- set sources = (plan.probes | list + [plan.gluster.host]) | select | unique | sort | list %}

openstack-audit-sync:
  salt.function:
    - name: saltutil.sync_all
    - tgt: {{ all_hosts | join(',') }}
    - tgt_type: list
    - timeout: {{ step_timeout }}

# a, b, d on every host: its served_by entries travel as pillar.
openstack-audit-hosts:
  salt.state:
    - tgt: {{ all_hosts | join(',') }}
    - tgt_type: list
    - sls: [audit.host]
    - pillar:
        audit:
          served_by: {{ plan.served_by | json }}
    # see step_timeout in salt/stages.yaml
    - timeout: {{ step_timeout }}
    - require:
      - salt: openstack-audit-sync

# c from the hosts that must not get in (and the volume's auth.allow).
openstack-audit-denied:
  salt.state:
    - tgt: {{ sources | join(',') }}
    - tgt_type: list
    - sls: [audit.denied]
    - pillar:
        audit:
          probes: {{ plan.probes | json }}
          gluster: {{ plan.gluster | json }}
    - timeout: {{ step_timeout }}
    - require:
      - salt: openstack-audit-sync
{%- for problem in plan.unplanned %}

openstack-audit-unplanned-{{ loop.index }}:
  test.fail_without_changes:
    - name: {{ ('FAIL the audit could not plan an attempt: ' ~ problem) | yaml_dquote }}
{%- endfor %}

# e on the controller.
openstack-audit-passwords:
  salt.state:
    - tgt: {{ plan.controller }}
    - tgt_type: list
    - sls: [audit.passwords]
    - pillar:
        audit:
          mariadb: {{ (plan.served_by[plan.controller] | selectattr('name', 'equalto', 'mariadb') | first | default({})) | json }}
    - timeout: {{ step_timeout }}
    - require:
      - salt: openstack-audit-sync
{%- if plan.lab %}

# c from outside the host map: the lab's namespace on the LAN.
openstack-audit-outsider:
  salt.runner:
    - name: openstack.audit_outsider
    - served_by: {{ plan.served_by | json }}
    - hosts: {{ plan.addresses | json }}
    - source: {{ plan.lab.lan_address }}
    - netns: {{ plan.lab.netns }}

# g from the public network: this machine through the lab's namespace.
openstack-audit-public:
  salt.runner:
    - name: openstack.audit_public
    - served_by: {{ plan.served_by | json }}
    - gateway: {{ plan.gateway }}
    - public_ip: {{ plan.public_ip }}
    - netns: {{ plan.lab.netns }}
{%- else %}

openstack-audit-outsider:
  test.succeed_without_changes:
    - name: "SKIP from outside the host map: not the lab (no address outside the host map to try from here)"

openstack-audit-public:
  test.succeed_without_changes:
    - name: "SKIP from the public network: not the lab (the master is not on the public network)"
{%- endif %}

# f last: the job cache then holds this audit's jobs too.
openstack-audit-jobcache:
  salt.runner:
    - name: openstack.audit_jobcache
