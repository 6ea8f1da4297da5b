"""The guide's wiring: interfaces, addresses and routes of every host."""

import ipaddress
import json
import socket

import pytest

from _runners._lab import network
from tests.lab.labkit import (
    CLOUD,
    GATEWAY,
    HOSTS,
    LABCFG,
    LAN_ONLY,
    PROVIDER_NICS,
    PUBLIC_IP,
    in_netns,
    on,
    on_json,
    run,
)

pytestmark = pytest.mark.lab

LAN = ipaddress.ip_network(CLOUD["network"]["lan_cidr"])
PUBLIC = ipaddress.ip_network(LABCFG["public_cidr"])
UPLINK = ipaddress.ip_network(LABCFG["uplink"]["cidr"])
HOST_IP = str(list(UPLINK.hosts())[0])
PROXY = (HOST_IP, LABCFG["apt_proxy_port"])


def _addrs(host):
    links = on_json(host, "ip -j addr")
    return {
        link["ifname"]: sorted(
            "{}/{}".format(a["local"], a["prefixlen"])
            for a in link.get("addr_info", [])
            if a["family"] == "inet"
        )
        for link in links
        if link["ifname"] != "lo"
    }


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_interfaces_and_addresses(lab, host):
    want = {HOSTS[host]["interfaces"]["lan"]: ["{}/{}".format(HOSTS[host]["ip"], LAN.prefixlen)]}
    if "gateway" in HOSTS[host]["roles"]:
        want[HOSTS[host]["interfaces"]["public"]] = [f"{PUBLIC_IP}/{PUBLIC.prefixlen}"]
    if host in PROVIDER_NICS:
        # The instances' wire: up, no address (the host's OVS bridge takes it).
        want[PROVIDER_NICS[host]] = []
        link = on_json(host, f"ip -j link show {PROVIDER_NICS[host]}")[0]
        assert "UP" in link["flags"]
    assert _addrs(host) == want


def test_provider_bridge_holds_the_provider_nics_only(lab):
    # Every compute host's provider NIC, nothing else, on lab:provider_bridge;
    # the namespace has no address there and no route into it.
    assert sorted(PROVIDER_NICS) == sorted(n for n, h in HOSTS.items() if "compute" in h["roles"])
    bridge = LABCFG["provider_bridge"]
    ports = json.loads(in_netns("bridge", "-j", "link", "show").stdout)
    assert sorted(p["ifname"] for p in ports if p.get("master") == bridge) == sorted(
        network.veth_name(host, nic) for host, nic in PROVIDER_NICS.items()
    )
    addrs = json.loads(in_netns("ip", "-j", "addr", "show", "dev", bridge).stdout)[0]
    assert addrs["addr_info"] == []
    routes = json.loads(in_netns("ip", "-j", "route", "show", "dev", bridge).stdout)
    assert routes == []


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_default_route(lab, host):
    routes = on_json(host, "ip -j route show default")
    assert len(routes) == 1
    if host == GATEWAY:
        assert routes[0]["dev"] == HOSTS[host]["interfaces"]["public"]
        assert routes[0]["gateway"] == str(list(PUBLIC.hosts())[0])
    else:
        # The guide: every other host routes through the gateway.
        assert routes[0]["dev"] == HOSTS[host]["interfaces"]["lan"]
        assert routes[0]["gateway"] == HOSTS[GATEWAY]["ip"]


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_lan_reaches_every_host(lab, host):
    others = " ".join(h["ip"] for n, h in HOSTS.items() if n != host)
    on(host, f"for ip in {others}; do ping -c1 -W2 $ip >/dev/null || exit 1; done")


def _connect(host, addr, port, timeout=3):
    """True when host opens a TCP connection to addr:port."""
    proc = on(
        host,
        "python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])),"
        f" {timeout})' {addr} {port}",
        check=False,
    )
    return proc.returncode == 0


def _mirror_ip():
    host = LABCFG["mirror"].split("//", 1)[1].split("/", 1)[0]
    return socket.getaddrinfo(host, 80, socket.AF_INET)[0][4][0]


def test_gateway_reaches_the_package_cache(lab):
    # The positive control of the test below: the path exists for the gateway.
    assert _connect(GATEWAY, *PROXY)
    on(GATEWAY, "apt-get -q update >/dev/null", timeout=300)


@pytest.mark.parametrize("host", LAN_ONLY)
def test_lan_only_host_has_no_way_out_before_nat(lab, host):
    # Before the orchestration's gateway NAT (guide step 01) a LAN host reaches
    # neither the package cache, nor the uplink, nor the mirror ...
    assert not _connect(host, *PROXY)
    assert not _connect(host, _mirror_ip(), 80)
    assert on(host, f"ping -c1 -W2 {HOST_IP}", check=False).returncode != 0
    # ... not even when it routes through the lab's own LAN address: that
    # address forwards the salt-master's ports and nothing else.
    via = LABCFG["lan_master_ip"]
    on(
        host,
        f"ip route replace {HOST_IP}/32 via {via}; ip route replace {_mirror_ip()}/32 via {via}",
    )
    try:
        assert not _connect(host, *PROXY)
        assert not _connect(host, _mirror_ip(), 80)
        assert _connect(host, via, 4506)
        assert not _connect(host, via, LABCFG["apt_proxy_port"])
    finally:
        on(host, f"ip route del {HOST_IP}/32; ip route del {_mirror_ip()}/32", check=False)


def test_this_machine_keeps_its_routes(lab, before_lab):
    # One link (the uplink) and its connected route are all the lab adds here.
    before = {r.get("dst"): r for r in json.loads(before_lab["routes"])}
    now = {r.get("dst"): r for r in json.loads(run(["ip", "-j", "route"]).stdout)}
    added = set(now) - set(before)
    assert added <= {str(UPLINK)}
    assert all(now[k] == before[k] for k in before)
    assert not any(r.get("dst", "").startswith(str(LAN.network_address)) for r in now.values())
    rules = run(["iptables", "-t", "nat", "-S", "POSTROUTING"]).stdout
    assert rules.count("openstack-salt-lab") == 1


@pytest.mark.parametrize("dev", LABCFG["devices"])
def test_devices_in_every_container(lab, dev):
    for host in HOSTS:
        on(host, f'python3 -c \'open("{dev}", "rb").close()\'')
