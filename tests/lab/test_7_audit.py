"""
The security audit in the lab (issue 13): `state.orchestrate openstack.audit`
against the deployed cloud passes every check, the lab's outside ones
included (from the namespace's LAN address, outside the host map, and from
the public network); then a firewall rule deleted by hand on a compute host
makes the firewall check fail, naming that rule, and one highstate of that
host puts it back (the check passes again).
"""

import re

import pytest

from tests.lab.labkit import HOSTS, on, orchestrate, salt

pytestmark = pytest.mark.lab

COMPUTE = sorted(
    n for n, h in HOSTS.items() if "gateway" not in h["roles"] and "compute" in h["roles"]
)[0]
CHECKS = [
    "audit-listening",
    "audit-firewall",
    "audit-secret-files",
    "audit-denied-rabbitmq",
    "audit-denied-mariadb",
    "audit-denied-memcached",
    "audit-gluster-auth-allow",
    "audit-keystone-passwords",
    "audit-rabbitmq-guest",
    "audit-mariadb-root",
]
RUNNER_STEPS = ["openstack-audit-outsider", "openstack-audit-public", "openstack-audit-jobcache"]


@pytest.fixture(scope="module")
def deployed(lab):
    _, code, _, steps, tail = orchestrate()
    assert code == 0 and steps and all(s["result"] for s in steps), tail


def _results(steps):
    """(host, state id) -> (result, comment) of the minions' checks, and the
    runner steps' returns by step id."""
    checks, runners = {}, {}
    for step in steps:
        for host, states in step["ret"].items():
            if isinstance(states, dict):
                for state in states.values():
                    if isinstance(state, dict) and "__id__" in state:
                        checks[(host, state["__id__"])] = (state["result"], state["comment"])
        if step["id"] in RUNNER_STEPS:
            runners[step["id"]] = step
    return checks, runners


def test_the_audit_passes(deployed):
    seconds, code, _, steps, tail = orchestrate(sls="openstack.audit", timeout=900)
    checks, _ = _results(steps)
    for (host, state_id), (result, comment) in sorted(checks.items()):
        print(f"{host} {state_id}: {result} {comment}")
    print(f"audit: {seconds:.0f}s")
    assert code == 0, tail
    found = {state_id for _, state_id in checks}
    assert [c for c in CHECKS if c not in found] == []
    assert sum(1 for _, s in checks if s == "audit-listening") == len(HOSTS)
    assert any(s.startswith("audit-denied-libvirt-tcp-") for _, s in checks)
    for (host, state_id), (result, comment) in checks.items():
        assert result and comment.startswith("PASS"), (host, state_id, comment)
    results = {s["id"]: s["result"] for s in steps}
    for step in RUNNER_STEPS:
        assert results.get(step) is True, (step, tail)


def _firewall(host):
    return salt(host, "openstack_audit.firewall")[host]


def test_a_rule_removed_by_hand_fails_and_highstate_puts_it_back(deployed):
    before = _firewall(COMPUTE)
    assert before["result"] is True, before
    listing = on(COMPUTE, "nft -s -a list chain inet openstack_salt input").stdout
    rules = re.findall(r"^\s*(.*\bdport\b.*\baccept\b.*?) # handle (\d+)$", listing, re.M)
    assert rules, listing
    rule, handle = rules[0]
    on(COMPUTE, f"nft delete rule inet openstack_salt input handle {handle}")
    after = _firewall(COMPUTE)
    print(after)
    assert after["result"] is False
    assert f"loaded but gone: chain input: {rule.strip()}" in after["comment"]

    result = salt("-t", "1800", COMPUTE, "state.highstate", timeout=1900)[COMPUTE]
    failed = [s["__id__"] for s in result.values() if not s.get("result")]
    assert failed == [], failed
    restored = _firewall(COMPUTE)
    assert restored["result"] is True, restored
    assert rule.strip() in on(COMPUTE, "nft -s list chain inet openstack_salt input").stdout
