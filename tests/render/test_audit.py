"""
The audit (`salt-run state.orchestrate openstack.audit`) rendered for the
guide's host map: the orchestration's steps, whom each targets and what it
passes (every host's served_by entries, who tries what from where), the
lab's outside steps only in the lab; and the hosts' SLS with what the
orchestration passes them, and alone (served_by read on the host itself,
the same entries).

Each case is a masterless minion (tests/support/render.py) rendering the
orchestration as the master does (it calls no runner while rendering).
"""

import json

import pytest

from tests.support.pillars import hosts_of
from tests.support.render import show, state_args

HOSTS = hosts_of("guide")
ADDRESSES = {name: host["ip"] for name, host in HOSTS.items()}
LAB = {"lab": {"netns": "oslab", "lan_master_ip": "192.168.0.254"}}


def _order(body):
    for module, items in body.items():
        if not module.startswith("__"):
            return next(
                item["order"] for item in items if isinstance(item, dict) and "order" in item
            )
    return 0


def steps(result):
    """state id -> (function, arguments), in the orchestration's order."""
    return {sid: state_args(result, sid) for sid in sorted(result, key=lambda s: _order(result[s]))}


def plain(data):
    """Rendered data (ordered dicts) as plain data, to be written as pillar."""
    return json.loads(json.dumps(data))


@pytest.fixture(scope="module")
def orchestration(minion):
    return steps(show(minion("guide", "debian13", "master"), "openstack.audit"))


def test_the_steps_in_order(orchestration):
    assert list(orchestration) == [
        "openstack-audit-sync",
        "openstack-audit-hosts",
        "openstack-audit-denied",
        "openstack-audit-passwords",
        "openstack-audit-outsider",
        "openstack-audit-public",
        "openstack-audit-jobcache",
    ]
    everyone = ",".join(sorted(HOSTS))
    assert orchestration["openstack-audit-sync"] == (
        "salt.function",
        {
            "name": "saltutil.sync_all",
            "tgt": everyone,
            "tgt_type": "list",
            "timeout": 120,
        },
    )
    function, args = orchestration["openstack-audit-hosts"]
    assert (function, args["tgt"], args["sls"]) == ("salt.state", everyone, ["audit.host"])
    assert args["require"] == [{"salt": "openstack-audit-sync"}]
    function, args = orchestration["openstack-audit-passwords"]
    assert (args["tgt"], args["sls"]) == ("controller", ["audit.passwords"])
    assert args["pillar"]["audit"]["mariadb"]["address"] == ADDRESSES["controller"]
    assert orchestration["openstack-audit-jobcache"][0] == "salt.runner"
    assert orchestration["openstack-audit-jobcache"][1]["name"] == "openstack.audit_jobcache"


def test_every_host_gets_its_served_by(orchestration):
    served_by = orchestration["openstack-audit-hosts"][1]["pillar"]["audit"]["served_by"]
    assert sorted(served_by) == sorted(HOSTS)
    names = {host: sorted(e["name"] for e in entries) for host, entries in served_by.items()}
    assert "mariadb" in names["controller"] and "mariadb" not in names["compute2"]
    assert {"dashboard", "novncproxy"} <= set(names["compute1"])  # the gateway
    assert "gluster-bricks" in names["compute3"] and "ssh" in names["controller"]
    keystone = next(e for e in served_by["controller"] if e["name"] == "keystone")
    assert keystone["ports"] == [[5000, 5000]] and keystone["address"] == ADDRESSES["controller"]


def test_who_tries_what_from_where(orchestration):
    function, args = orchestration["openstack-audit-denied"]
    probes = args["pillar"]["audit"]["probes"]
    # the controller reads the volume's auth.allow; the compute hosts try
    assert args["tgt"] == "compute1,compute2,compute3,compute4,controller"
    by_id = {p["id"]: (source, p) for source, items in probes.items() for p in items}
    source, rabbit = by_id["rabbitmq"]
    assert source == "compute2"  # a compute host, not the gateway
    assert (rabbit["kind"], rabbit["address"], rabbit["ports"]) == ("amqp", "192.168.0.5", [5672])
    assert (rabbit["user"], rabbit["password"]) == ("guest", "guest")
    source, mariadb = by_id["mariadb"]
    assert source == "compute2" and mariadb["kind"] == "mysql" and mariadb["user"] == "root"
    assert mariadb["password"] == {"pillar": "openstack:secrets:mysql_root_password"}
    source, memcached = by_id["memcached"]
    assert source == "compute2" and memcached["ports"] == [11211]
    # libvirt over TCP: each compute host from the one before it
    ring = {
        p["address"]: source for p_id, (source, p) in by_id.items() if p_id.startswith("libvirt")
    }
    assert ring == {
        "192.168.0.1": "compute4",
        "192.168.0.2": "compute1",
        "192.168.0.3": "compute2",
        "192.168.0.4": "compute3",
    }
    assert all(by_id[f"libvirt-tcp-{h}"][1]["ports"] == [16509, 16514] for h in ring.values())
    gluster = args["pillar"]["audit"]["gluster"]
    assert gluster == {
        "host": "controller",
        "volume": "vm-instances",
        "addresses": sorted(ADDRESSES.values()),
    }


def test_outside_the_lab_the_outside_steps_skip(orchestration):
    for sid in ("openstack-audit-outsider", "openstack-audit-public"):
        function, args = orchestration[sid]
        assert function == "test.succeed_without_changes"
        assert args["name"].startswith("SKIP ") and "not the lab" in args["name"]


def test_in_the_lab_they_run_in_its_namespace(minion):
    # (the test pillar's local.sls reaches the host map's minions only)
    lab = steps(show(minion("guide", "debian13", "controller", local=LAB), "openstack.audit"))
    function, args = lab["openstack-audit-outsider"]
    assert (function, args["name"]) == ("salt.runner", "openstack.audit_outsider")
    assert (args["source"], args["netns"]) == ("192.168.0.254", "oslab")
    assert args["hosts"] == ADDRESSES
    assert sorted(args["served_by"]) == sorted(HOSTS)
    function, args = lab["openstack-audit-public"]
    assert (function, args["name"], args["gateway"]) == (
        "salt.runner",
        "openstack.audit_public",
        "compute1",
    )
    assert (args["public_ip"], args["netns"]) == ("128.250.26.161", "oslab")


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_the_host_checks_read_what_the_orchestration_passes(minion, orchestration, host):
    served_by = orchestration["openstack-audit-hosts"][1]["pillar"]["audit"]["served_by"]
    passed = show(
        minion("guide", "debian13", host, local={"audit": {"served_by": plain(served_by)}}),
        "audit.host",
    )
    alone = show(minion("guide", "debian13", host), "audit.host")
    function, args = state_args(passed, "audit-listening")
    assert (function, args["check"]) == ("openstack_audit.check", "listening")
    assert args["expected"] == served_by[host]
    # alone, the host reads served_by from services.jinja: the same entries
    assert state_args(alone, "audit-listening")[1]["expected"] == served_by[host]
    function, args = state_args(passed, "audit-secret-files")
    assert {"/root", "/etc/nova", "/etc/mysql", "/var/lib/nova/.ssh"} <= set(args["paths"])
    assert args["groups"]["/etc/nova/nova.conf"] == "nova"
    assert args["groups"]["/etc/openstack-dashboard/local_settings.d/_90_openstack_salt.py"] == (
        "www-data"
    )
    assert state_args(passed, "audit-firewall")[1]["state_dir"] == "/var/lib/openstack-salt"


def test_the_denied_checks_of_a_source_host(minion, orchestration):
    audit = plain(orchestration["openstack-audit-denied"][1]["pillar"]["audit"])
    result = show(minion("guide", "debian13", "compute2", local={"audit": audit}), "audit.denied")
    assert sorted(result) == [
        "audit-denied-libvirt-tcp-compute3",
        "audit-denied-mariadb",
        "audit-denied-memcached",
        "audit-denied-rabbitmq",
    ]
    function, args = state_args(result, "audit-denied-rabbitmq")
    assert args["check"] == "denied" and args["kind"] == "amqp" and args["timeout"] == 2
    assert (args["user"], args["password"]) == ("guest", "guest")
    assert "password" not in state_args(result, "audit-denied-memcached")[1]
    result = show(minion("guide", "debian13", "controller", local={"audit": audit}), "audit.denied")
    assert sorted(result) == ["audit-gluster-auth-allow"]
    args = state_args(result, "audit-gluster-auth-allow")[1]
    assert (args["volume"], args["addresses"]) == ("vm-instances", sorted(ADDRESSES.values()))


def test_the_password_checks(minion):
    result = show(minion("guide", "debian13", "controller"), "audit.passwords")
    args = state_args(result, "audit-keystone-passwords")[1]
    # openstack:tls:internal: through the controller's TLS proxy
    assert args["auth_url"] == "https://controller:5000/v3"
    assert args["users"] == {
        "admin": "openstack:secrets:admin_password",
        **{
            s: f"openstack:secrets:{s}_password"
            for s in ("cinder", "glance", "neutron", "nova", "placement")
        },
    }
    args = state_args(result, "audit-mariadb-root")[1]
    assert (args["address"], args["port"]) == (ADDRESSES["controller"], 3306)
    assert args["password"] == {"pillar": "openstack:secrets:mysql_root_password"}
    assert state_args(result, "audit-rabbitmq-guest")[1]["check"] == "rabbitmq_users"
