"""
The lab's network (``_runners/_lab/network.py``): the names and addresses it
derives and the firewall rules it writes, checked without root.
"""

import re

import pytest

from _runners._lab import network, settings
from tests.lab.labkit import LABCFG, lab_pillar

GUIDE = settings.derive(lab_pillar(), [])
NICS = [(name, nic["name"]) for name, m in sorted(GUIDE["machines"].items()) for nic in m["nics"]]


def test_macs_are_stable_distinct_and_locally_administered():
    macs = [network.mac(name, ifname) for name, ifname in NICS]
    assert macs == [network.mac(name, ifname) for name, ifname in NICS]
    assert len(set(macs)) == len(NICS)
    for mac in macs:
        assert re.fullmatch(r"02:5a(:[0-9a-f]{2}){4}", mac)
        first = int(mac[:2], 16)
        assert first & 0b10 and not first & 0b01  # local, unicast


@pytest.mark.parametrize(
    "name, ifname, expected",
    [
        ("compute1", "eth0", "compute1-eth0"),
        ("controller", "eth0", "controlle-eth0"),
        ("a-very-long-host-name", "ens1f0np0", "a-very-lo-ens1f"),
    ],
)
def test_veth_names_fit_the_kernels_limit(name, ifname, expected):
    assert network.veth_name(name, ifname) == expected
    assert len(expected) <= 15


def test_veth_names_of_the_guide_are_distinct():
    names = [network.veth_name(name, ifname) for name, ifname in NICS]
    assert len(set(names)) == len(NICS)


def test_host_rule():
    assert network.host_rule(GUIDE) == [
        "-s",
        GUIDE["uplink_netns_ip"] + "/32",
        "-m",
        "comment",
        "--comment",
        network.RULE_COMMENT,
        "-j",
        "MASQUERADE",
    ]


def tables(text):
    """{table: [lines]} of an iptables-restore text, checking its framing."""
    assert text.endswith("COMMIT\n")
    found, table = {}, None
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:]
            found[table] = []
        elif line == "COMMIT":
            table = None
        else:
            assert table, line
            found[table].append(line)
    return found


def test_netns_rules():
    rules = tables(network.netns_rules(GUIDE))
    ports = ",".join(str(p) for p in LABCFG["master_ports"])
    lan, pub, up = LABCFG["lan_bridge"], LABCFG["public_bridge"], LABCFG["uplink"]["netns_if"]
    provider = LABCFG["provider_bridge"]
    assert sorted(rules) == ["filter", "nat"]
    # The LAN reaches the master's ports at the lab's LAN address, nothing else.
    assert [r for r in rules["nat"] if "DNAT" in r] == [
        f"-A PREROUTING -i {lan} -d {LABCFG['lan_master_ip']} -p tcp -m multiport "
        f"--dports {ports} -j DNAT --to-destination {GUIDE['uplink_host_ip']}"
    ]
    assert f"-A POSTROUTING -o {up} -j MASQUERADE" in rules["nat"]
    assert ":INPUT DROP [0:0]" in rules["filter"]
    # The provider network reaches nothing of the namespace's own (first,
    # before the ICMP and conntrack accepts); nothing is NATed or forwarded
    # for it.
    inputs = [r for r in rules["filter"] if r.startswith("-A INPUT")]
    assert inputs[:2] == ["-A INPUT -i lo -j ACCEPT", f"-A INPUT -i {provider} -j DROP"]
    assert not [r for r in rules["nat"] + rules["filter"] if provider in r and "INPUT" not in r]
    assert ":FORWARD DROP [0:0]" in rules["filter"]
    assert [r for r in rules["filter"] if r.startswith("-A FORWARD")] == [
        "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        f"-A FORWARD -i {lan} -o {up} -p tcp -m multiport --dports {ports} "
        "-m conntrack --ctstate DNAT -j ACCEPT",
        f"-A FORWARD -i {pub} -o {up} -s {LABCFG['public_cidr']} -j ACCEPT",
        f"-A FORWARD -i {up} -o {pub} -s {GUIDE['uplink_host_ip']}/32 -j ACCEPT",
    ]


def test_bridges():
    # The provider bridge has no address: the namespace only switches it.
    assert network.bridges(GUIDE) == [
        (LABCFG["lan_bridge"], GUIDE["lan_master_cidr"]),
        (LABCFG["public_bridge"], GUIDE["public_router"]),
        (LABCFG["provider_bridge"], None),
    ]
    saved_before = {k: v for k, v in GUIDE.items() if k != "provider_bridge"}
    assert [b for b, _ in network.bridges(saved_before)] == [
        LABCFG["lan_bridge"],
        LABCFG["public_bridge"],
    ]


def test_provider_nics_are_on_the_provider_bridge():
    on_it = sorted(
        name
        for name, m in GUIDE["machines"].items()
        for nic in m["nics"]
        if nic["bridge"] == LABCFG["provider_bridge"]
    )
    assert on_it == sorted(n for n, h in GUIDE["machines"].items() if "compute" in h["roles"])


def absent_lab():
    cfg = dict(GUIDE)
    cfg.update(
        netns="oslab-unit-absent",
        uplink_host_if="oslabunit0",
        uplink_netns_ip="100.64.251.2",
    )
    return cfg


def test_status_of_a_lab_that_is_not_there():
    ret = network.status(absent_lab())
    assert not network.exists(absent_lab())
    assert ret["netns"] is None
    assert ret["uplink"] is None
    assert ret["nat rule"] is False
    assert ret["net.ipv4.ip_forward"] in ("0", "1")
    assert ret["bridges"] == []


def test_down_of_a_lab_that_is_not_there(tmp_path, monkeypatch):
    """A machine that never ran the lab (no netns, no uplink, maybe no
    iptables at all: a new machine) has nothing to take down."""
    calls = []
    real_ok = network.ok

    def spy(cmd, *args, **kwargs):
        calls.append(cmd[0])
        return real_ok(cmd, *args, **kwargs)

    monkeypatch.setattr(network, "ok", spy)
    monkeypatch.setattr(network.shutil, "which", lambda name: None)
    assert network.down(absent_lab(), {"lab": str(tmp_path)}) == []
    assert "iptables" not in calls
