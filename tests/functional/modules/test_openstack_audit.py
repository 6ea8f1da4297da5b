"""
The openstack_audit module's firewall check against the real nftables, in a
network namespace of this test's own (nothing of the machine's firewall is
touched): the table loaded from a file, its `nft -s list table` saved as
the states save it (`<state_dir>/firewall.loaded`); the check passes; a rule
deleted by hand (by its handle, as an operator would) fails it, naming the
rule and its chain; loading the file again (what the next highstate does)
passes it again.

The module runs `nft` through Salt's cmd module: a `nft` first on PATH runs
the real one inside the namespace. Needs root, nft and iproute2; skipped
without them, except under CI (`CI` set), where that fails.
"""

import os
import re
import shutil
import subprocess

import pytest

from tests.support.ci import skip_or_fail

TABLE = """\
table inet openstack_salt {
  counter dropped { }
  chain input {
    type filter hook input priority filter; policy accept;
    iif lo accept
    ct state established,related accept
    tcp dport 22 ip saddr 192.168.0.0/24 accept
    tcp dport 3306 ip saddr 192.168.0.5 accept
    counter name dropped drop
  }
}
"""


@pytest.fixture(scope="module")
def netns():
    if os.geteuid() != 0:
        skip_or_fail("the audit's nft test", "needs root (a network namespace, nft)")
    if not shutil.which("nft") or not shutil.which("ip"):
        skip_or_fail("the audit's nft test", "needs nft and ip (apt-get install nftables iproute2)")
    name = f"openstack-audit-test-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


def nft(netns, *args, **kwargs):
    return subprocess.run(
        ["ip", "netns", "exec", netns, "nft", *args],
        capture_output=True,
        text=True,
        check=True,
        **kwargs,
    ).stdout


@pytest.fixture
def loaded(netns, tmp_path, monkeypatch):
    """The table loaded in the namespace and saved as the states save it;
    `nft` on PATH is the namespace's."""
    rules = tmp_path / "firewall.nft"
    # as the firewall's file does: make sure the table exists, drop it, load it whole
    rules.write_text("table inet openstack_salt\ndelete table inet openstack_salt\n" + TABLE)
    nft(netns, "-f", str(rules))
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "firewall.loaded").write_text(
        nft(netns, "-s", "list", "table", "inet", "openstack_salt")
    )
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "nft"
    wrapper.write_text(
        f'#!/bin/sh\nexec nsenter --net=/run/netns/{netns} {shutil.which("nft")} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    return {"rules": rules, "state_dir": str(state_dir)}


def _handle(netns, pattern):
    listing = nft(netns, "-a", "list", "chain", "inet", "openstack_salt", "input")
    (handle,) = re.findall(pattern + r".*# handle (\d+)", listing)
    return handle


def test_a_rule_deleted_by_hand_fails_and_a_reload_passes(loaders, netns, loaded):
    audit = loaders.modules.openstack_audit
    out = audit.firewall(loaded["state_dir"])
    assert out["result"] is True, out
    assert out["comment"].startswith("table inet openstack_salt is the one loaded (")

    nft(
        netns,
        "delete",
        "rule",
        "inet",
        "openstack_salt",
        "input",
        "handle",
        _handle(netns, r"tcp dport 22 "),
    )
    out = audit.firewall(loaded["state_dir"])
    assert out["result"] is False
    assert out["comment"].endswith(
        "1 line(s) loaded but gone: chain input: tcp dport 22 ip saddr 192.168.0.0/24 accept"
    ), out

    nft(
        netns, "insert", "rule", "inet", "openstack_salt", "input", "tcp", "dport", "9999", "accept"
    )
    out = audit.firewall(loaded["state_dir"])
    assert (
        "1 line(s) not loaded by the states: chain input: tcp dport 9999 accept" in (out["comment"])
    )

    nft(netns, "-f", str(loaded["rules"]))  # what the next highstate does
    out = audit.firewall(loaded["state_dir"])
    assert out["result"] is True, out


def test_the_table_deleted(loaders, netns, loaded):
    nft(netns, "delete", "table", "inet", "openstack_salt")
    out = loaders.modules.openstack_audit.firewall(loaded["state_dir"])
    assert out["result"] is False
    assert out["comment"].startswith("no table inet openstack_salt in the kernel (")
