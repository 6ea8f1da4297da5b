"""
The ``openstack`` runner's outside probe run in a network namespace, as the
lab's steps run it in the lab's (``nsenter --net=/run/netns/<name>``): a
namespace of this test's own, its loopback up and a real nftables rule
dropping one port. Through Salt's runner loader: a dropped port passes; a
port with a listener on this machine's loopback is refused in there (the
probe ran inside the namespace). Needs root, nft, iproute2 and nsenter;
skipped without them, except under CI (``CI`` set), where that fails.
"""

import os
import shutil
import socket
import subprocess

import pytest
import salt.config
import salt.loader

from tests.support.ci import skip_or_fail
from tests.support.master import master_opts
from tests.support.pillars import write_pillar_root


@pytest.fixture(scope="module")
def netns():
    if os.geteuid() != 0:
        skip_or_fail("the audit's namespace test", "needs root (a network namespace)")
    if not all(shutil.which(tool) for tool in ("ip", "nft", "nsenter")):
        skip_or_fail(
            "the audit's namespace test",
            "needs ip, nft and nsenter (iproute2, nftables, util-linux)",
        )
    name = f"openstack-audit-probe-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(
            ["ip", "netns", "exec", name, "nft", "-f", "-"],
            input="table inet audittest {\n chain input {\n"
            "  type filter hook input priority filter; policy accept;\n"
            "  tcp dport 7777 drop\n }\n}\n",
            text=True,
            check=True,
        )
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


@pytest.fixture
def runners(tmp_path):
    opts = master_opts(tmp_path, write_pillar_root(tmp_path / "pillar", "guide"))
    return salt.loader.runner(opts, utils=salt.loader.utils(opts), context={})


def _entry(name, port):
    return {
        "name": name,
        "proto": "tcp",
        "ports": [[port, port]],
        "bind": "any",
        "address": None,
        "sources": ["192.168.0.1"],
        "public": False,
        "when": None,
    }


def test_the_probe_runs_inside_the_namespace(runners, netns):
    served_by = {"h": [_entry("glusterd", 7777)]}
    out = runners["openstack.audit_outsider"](
        served_by, {"h": "127.0.0.1"}, "127.0.0.1", netns=netns, timeout=1
    )
    assert out["result"] is True, out
    assert (
        f"1 probes from 127.0.0.1 (network namespace {netns}), 1 s each: 1 dropped"
        in (out["comment"])
    )
    with socket.socket() as here:  # open on this machine, not in the namespace
        here.bind(("127.0.0.1", 0))
        here.listen()
        port = here.getsockname()[1]
        served_by["h"].append(_entry("mariadb", port))
        out = runners["openstack.audit_outsider"](
            served_by, {"h": "127.0.0.1"}, "127.0.0.1", netns=netns, timeout=1
        )
    assert out["result"] is False
    assert f"127.0.0.1:{port}/tcp (h mariadb) refused, expected dropped" in out["comment"]


def test_a_namespace_that_is_not_there_fails_with_the_reason(runners):
    out = runners["openstack.audit_public"](
        {"gw": [_entry("dashboard", 443)]}, "gw", "127.0.0.1", netns="no-such-namespace-here"
    )
    assert out["result"] is False
    assert "the probe in network namespace no-such-namespace-here: nsenter:" in out["comment"]
