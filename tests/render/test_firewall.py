"""
Render tests of the host firewall (issue 13; salt/firewall): for the guide's
host map, what each host's nftables file accepts and from whom (the
controller's database only from itself, its queue only from the compute
hosts and the gateway, memcached only from the gateway; on the gateway's
public side only the dashboard and the console proxy), that the gateway
forwards the LAN and the provider network out of its public interface and
never between the two, and that nft itself accepts every rendered file
(`nft -c`, in a network namespace of its own, when nft is installed). The
states: the file checked before it is written, the unit, the drift check;
network.nat only takes out its former iptables rules.

Each case is a masterless minion (tests/support/render.py); the ``minion``
fixture is tests/render/conftest.py's.
"""

import ipaddress
import json
import os
import re
import shutil
import subprocess

import pytest

from tests.support.paths import SALT
from tests.support.render import GRAINS, show, state_args

TEMPLATE = SALT / "firewall" / "files" / "firewall.nft.jinja"
GUIDE = {
    "compute1": "192.168.0.1",
    "compute2": "192.168.0.2",
    "compute3": "192.168.0.3",
    "compute4": "192.168.0.4",
    "controller": "192.168.0.5",
}
COMPUTES = {GUIDE[f"compute{i}"] for i in range(1, 5)}
LAN, PROVIDER = "192.168.0.0/24", "10.0.0.0/24"


def rendered(minion, family, host, **extra):
    """(the firewall SLS's states, the host's nft file as rendered)."""
    result = show(minion("guide", family, host, **extra), "firewall")
    args = state_args(result, "firewall-rules")[1]
    text = minion("guide", family, host, **extra).cmd(
        "file.apply_template_on_contents",
        TEMPLATE.read_text(),
        template="jinja",
        context=args["context"],
        defaults={},
        saltenv="base",
    )
    assert isinstance(text, str) and "table inet openstack_salt {" in text, text
    return result, text


def parse(text):
    """{"sets": {name: {elements}}, chain: [rule line, ...]} of an nft file
    of this template's shape (one statement per line)."""
    found = {"sets": {}}
    chain = current_set = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if match := re.match(r"set (\S+) \{$", line):
            current_set = match.group(1)
            found["sets"][current_set] = set()
        elif match := re.match(r"elements = \{ (.*) \}$", line):
            found["sets"][current_set] = {e.strip() for e in match.group(1).split(",")}
        elif match := re.match(r"chain (\S+) \{$", line):
            chain = match.group(1)
            found[chain] = []
        elif line == "}":
            chain = current_set = None
        elif chain and not line.startswith("type "):
            found[chain].append(line)
    return found


def ports_of(rule):
    """The destination ports a rule names, as a set of numbers."""
    match = re.search(r"dport (\{ [^}]* \}|\S+)", rule)
    if not match:
        return set()
    ports = set()
    for item in match.group(1).strip("{} ").split(","):
        first, _, last = item.strip().partition("-")
        ports.update(range(int(first), int(last or first) + 1))
    return ports


def accepting(chain, port, proto="tcp"):
    """The rules of a chain that accept ``proto`` to ``port``."""
    return [
        rule
        for rule in chain
        if rule.endswith("accept") or ' accept comment "' in rule
        if f"{proto} dport" in rule and port in ports_of(rule)
    ]


def sources(fw, rule):
    """The source addresses a rule accepts from: its set's elements, or
    "anyone on <interface>" for a rule naming no source."""
    if match := re.search(r"ip6? saddr @(\S+)", rule):
        return fw["sets"][match.group(1)]
    match = re.search(r'iifname "([^"]+)"', rule)
    return {f"anyone on {match.group(1)}"} if match else {"anyone"}


def who_may_connect(fw, port, proto="tcp"):
    return set().union(*[sources(fw, r) for r in accepting(fw["input"], port, proto)])


def test_the_controller_accepts_each_service_only_from_its_clients(minion):
    _, text = rendered(minion, "debian13", "controller")
    fw = parse(text)
    # nova's database: the controller's services and the gateway's console proxy
    assert who_may_connect(fw, 3306) == {GUIDE["controller"], GUIDE["compute1"]}
    assert who_may_connect(fw, 5672) == COMPUTES
    assert who_may_connect(fw, 11211) == {GUIDE["compute1"]}
    assert who_may_connect(fw, 6641) == {GUIDE["controller"]}
    assert who_may_connect(fw, 6642) == COMPUTES
    assert who_may_connect(fw, 8775) == COMPUTES
    # the APIs (ports from openstack:catalog) from every host of the map
    for port in (5000, 9292, 8778, 8774, 9696, 8776):
        assert who_may_connect(fw, port) == set(GUIDE.values()), port
    assert who_may_connect(fw, 22) == {LAN}
    # loopback listeners (RabbitMQ's Erlang distribution) get no rule; what
    # the controller does not serve is not open
    for port in (4369, 25672, 80, 443, 6080, 5900, 49152):
        assert not accepting(fw["input"], port), port
    assert fw["input"][-1] == 'counter name "dropped" drop'
    assert "forward" not in fw and "postrouting" not in fw


def test_a_compute_host_serves_storage_migration_consoles_and_tunnels(minion):
    _, text = rendered(minion, "debian13", "compute2")
    fw = parse(text)
    assert who_may_connect(fw, 24007) == set(GUIDE.values())
    # a brick port from every host; the migration range (a range of its
    # own) from the compute hosts only
    assert who_may_connect(fw, 49399) == set(GUIDE.values())
    assert who_may_connect(fw, 49200) == COMPUTES
    assert not accepting(fw["input"], 49250)
    assert who_may_connect(fw, 5900) == {GUIDE["compute1"]}
    assert who_may_connect(fw, 6081, "udp") == COMPUTES
    assert not accepting(fw["input"], 6081)  # udp only
    # Open vSwitch's local database: loopback, no rule
    assert not accepting(fw["input"], 6640)
    for port in (3306, 5672, 80, 443, 6080):
        assert not accepting(fw["input"], port), port
    assert "forward" not in fw and "postrouting" not in fw
    assert not [rule for rule in fw["input"] if "iifname" in rule]


def test_the_gateways_public_side_offers_only_the_dashboard_the_console_and_the_apis(minion):
    _, text = rendered(minion, "debian13", "compute1")
    fw = parse(text)
    public = [r for r in fw["input"] if r.startswith('iifname "eth0"') and "accept" in r]
    # the dashboard, the console proxy, the TLS proxy on each API's port
    # (public-apis: ports catalog)
    apis = {5000, 8774, 8776, 8778, 9292, 9696}
    assert set().union(*map(ports_of, public)) == {80, 443, 6080} | apis
    assert all(" saddr " not in rule for rule in public)
    # nothing else accepts from anyone: every other accept names its sources
    # (or is loopback, an answer, ping from the LAN or IPv6's neighbours)
    others = [r for r in fw["input"] if "accept" in r and r not in public]
    assert all(
        " saddr " in rule or rule.startswith(("iif ", "ct state", "icmpv6 type")) for rule in others
    ), others
    assert fw["sets"]["ping_v4"] == {LAN}
    # the LAN's and the instances' addresses never come in from outside
    spoofed = f'iifname "eth0" ip saddr {{ {LAN}, {PROVIDER} }} counter name "dropped" drop'
    assert fw["input"].index(spoofed) < fw["input"].index("ct state established,related accept")
    assert fw["input"][-1] == 'counter name "dropped" drop'


@pytest.mark.parametrize("family", GRAINS)
def test_the_gateway_never_forwards_between_the_provider_network_and_the_lan(minion, family):
    _, text = rendered(minion, family, "compute1")
    forward = parse(text)["forward"]
    drops = [
        f'ip saddr {PROVIDER} ip daddr {LAN} counter name "forward_dropped" drop',
        f'ip saddr {LAN} ip daddr {PROVIDER} counter name "forward_dropped" drop',
    ]
    first_accept = min(i for i, rule in enumerate(forward) if "accept" in rule)
    assert all(forward.index(drop) < first_accept for drop in drops)
    accepts = [rule for rule in forward if "accept" in rule]
    zed = family == "debian12"
    expected = [
        *(['iifname "brq*" oifname "brq*" accept'] if zed else []),
        "ct state established,related accept",
        f'iifname "eth1" ip saddr {LAN} oifname "eth0" accept comment "lan out"',
        f'ip saddr {PROVIDER} oifname "eth0" accept comment "provider out"',
    ]
    assert accepts == expected
    # no accept names the LAN or the provider network as a destination
    assert not [rule for rule in accepts if "daddr" in rule]
    assert forward[-1] == 'counter name "forward_dropped" drop'
    assert "policy drop;" in text.split("chain forward {", 1)[1].split("\n")[1]
    nat = parse(text)["postrouting"]
    assert nat == [
        f'ip saddr {LAN} oifname "eth0" masquerade comment "lan"',
        f'ip saddr {PROVIDER} oifname "eth0" masquerade comment "provider"',
    ]


@pytest.mark.parametrize("family", GRAINS)
def test_the_gateway_keeps_its_own_traffic_out_of_the_linuxbridge_agents_zone(minion, family):
    """Zed (linuxbridge): what enters a network's bridge for the gateway
    itself is tracked in zone 0, before the agent's raw rule zones it (an
    instance migrated onto the gateway lost SSH from it, and its NATed
    answers from outside); OVN needs no such chain."""
    _, text = rendered(minion, family, "compute1")
    chains = parse(text)
    if family == "debian12":
        assert chains["prerouting_zone"] == ['iifname "brq*" meta pkttype host ct zone set 0']
        head = text.split("chain prerouting_zone {", 1)[1].split("\n")[1]
        assert "hook prerouting priority raw - 1;" in head
    else:
        assert "prerouting_zone" not in chains
    # a compute host that is not the gateway talks to no instance
    _, other = rendered(minion, family, "compute2")
    assert "prerouting_zone" not in parse(other)


def test_admin_sources_reach_ssh_and_ping_only(minion):
    local = {"openstack": {"firewall": {"admin_sources": ["10.9.0.0/16", "2001:db8::/32"]}}}
    _, text = rendered(minion, "debian13", "compute2", local=local)
    fw = parse(text)
    assert fw["sets"]["ssh_v4"] == {LAN, "10.9.0.0/16"}
    assert fw["sets"]["ssh_v6"] == {"2001:db8::/32"}
    assert fw["sets"]["ping_v4"] == {LAN, "10.9.0.0/16"}
    assert 'ip6 saddr @ssh_v6 tcp dport 22 accept comment "ssh"' in fw["input"]
    assert who_may_connect(fw, 22) == {LAN, "10.9.0.0/16", "2001:db8::/32"}
    assert who_may_connect(fw, 24007) == set(GUIDE.values())


@pytest.mark.parametrize("family", GRAINS)
@pytest.mark.parametrize("host", sorted(GUIDE))
def test_nft_accepts_every_rendered_file(minion, family, host, tmp_path):
    """`nft -c -f` (parse and check against the kernel, nothing loaded) in
    a network namespace of its own, as the state's check_cmd does."""
    _, text = rendered(minion, family, host)
    statements = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in statements if "flush" in line]
    # every table statement is the project's own table
    tables = re.findall(r"^(?:delete )?table (.*?)(?: \{)?$", text, re.MULTILINE)
    assert set(tables) == {"inet openstack_salt"}, tables
    nft, unshare = shutil.which("nft"), shutil.which("unshare")
    if not (nft and unshare):
        pytest.skip("nft or unshare not installed")
    path = tmp_path / "firewall.nft"
    path.write_text(text)
    # root in a user namespace of its own where allowed (no host privilege)
    cmd = [unshare, "--net"] + ([] if _is_root() else ["--user", "--map-root-user"])
    run = subprocess.run(
        [*cmd, nft, "-c", "-f", str(path)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr


def _is_root():
    return os.geteuid() == 0


@pytest.mark.parametrize("family", GRAINS)
def test_the_states_check_load_and_keep_the_table(minion, family):
    result, _ = rendered(minion, family, "compute2")
    function, args = state_args(result, "firewall-packages")
    assert (function, args["pkgs"]) == ("pkg.installed", ["nftables"])
    function, args = state_args(result, "firewall-rules")
    assert (function, args["name"]) == ("file.managed", "/etc/openstack-salt/firewall.nft")
    assert args["check_cmd"] == "nft -c -f"
    function, args = state_args(result, "firewall-unit")
    assert args["name"] == "/etc/systemd/system/openstack-salt-firewall.service"
    unit = args["contents"]
    for line in (
        "Type=oneshot",
        "RemainAfterExit=yes",
        "Before=network-pre.target shutdown.target",
        "ExecStart=/usr/sbin/nft -f /etc/openstack-salt/firewall.nft",
        "ExecReload=/usr/sbin/nft -f /etc/openstack-salt/firewall.nft",
        "ExecStop=-/usr/sbin/nft delete table inet openstack_salt",
        "WantedBy=sysinit.target",
    ):
        assert line in unit.splitlines(), line
    assert "flush" not in unit
    function, args = state_args(result, "firewall-service")
    assert (function, args["name"], args["enable"]) == (
        "service.running",
        "openstack-salt-firewall",
        True,
    )
    assert "watch" not in args  # a restart would leave the host bare a moment
    function, args = state_args(result, "firewall-loaded")
    loaded = "/var/lib/openstack-salt/firewall.loaded"
    assert function == "cmd.run"
    assert args["name"].startswith("nft -f /etc/openstack-salt/firewall.nft &&")
    assert f"nft -s list table inet openstack_salt > {loaded}.new" in args["name"]
    assert f"/etc/openstack-salt/firewall.nft -nt {loaded}" in args["unless"]
    assert f"nft -s list table inet openstack_salt | cmp -s - {loaded}" in args["unless"]


def test_served_by_follows_the_contract(minion):
    """firewall/services.jinja with the importer's own `openstack` (as the
    audit imports it on the master): every host of the map, each entry in
    the contract's shape, API ports from the catalog."""
    caller = minion("guide", "debian13", "controller")
    served = caller.cmd(
        "slsutil.renderer",
        string='{%- from "map.jinja" import openstack with context %}'
        '{%- from "firewall/services.jinja" import served_by with context %}'
        "{{ served_by | json }}",
        default_renderer="jinja|json",
    )
    assert sorted(served) == sorted(GUIDE)
    by_name = {host: {e["name"]: e for e in entries} for host, entries in served.items()}
    keystone = by_name["controller"]["keystone"]
    assert keystone == {
        "name": "keystone",
        "proto": "tcp",
        "ports": [[5000, 5000]],
        "bind": "lan",
        "address": "192.168.0.5",
        "sources": sorted(GUIDE.values()),
        "public": False,
        "when": None,
        "plain": [],
    }
    assert by_name["controller"]["rabbitmq-cluster"]["address"] == "127.0.0.1"
    assert by_name["controller"]["rabbitmq-cluster"]["ports"] == [[4369, 4369], [25672, 25672]]
    dashboard = by_name["compute1"]["dashboard"]
    assert (dashboard["public"], dashboard["address"], dashboard["bind"]) == (True, None, "public")
    # 80 only redirects to https (the audit checks TLS on every other)
    assert dashboard["plain"] == [80]
    # `ports: catalog`: every API's port, on the gateway's TLS proxy
    assert by_name["compute1"]["public-apis"]["ports"] == [
        [port, port] for port in (5000, 8774, 8776, 8778, 9292, 9696)
    ]
    assert by_name["compute2"]["libvirt-migration"]["when"] == "migrating"
    assert by_name["compute2"]["gluster-bricks"]["ports"] == [[49300, 49399]]
    assert "dashboard" not in by_name["compute2"] and "mariadb" not in by_name["compute1"]
    # the gateway is a compute host too: it serves both roles' services
    assert {"geneve", "vnc", "dashboard", "novncproxy"} <= set(by_name["compute1"])
    for entries in served.values():
        for entry in entries:
            for source in entry["sources"]:
                ipaddress.ip_network(source)
    # the same without map.jinja: an `openstack` of the importer's own
    own = caller.cmd(
        "slsutil.renderer",
        string="{%- set openstack = "
        + json.dumps(
            {
                "hosts": {"a": {"ip": "10.1.0.1", "roles": ["controller"]}},
                "network": {"lan_cidr": "10.1.0.0/24"},
                "firewall": {
                    "admin_sources": ["10.9.0.0/16"],
                    "services": {
                        "ssh": {"roles": ["controller"], "ports": [22], "from": ["admin"]}
                    },
                },
                "catalog": {},
            }
        )
        + ' %}{%- from "firewall/services.jinja" import served_by with context %}'
        "{{ served_by | json }}",
        default_renderer="jinja|json",
    )
    assert own == {
        "a": [
            {
                "name": "ssh",
                "proto": "tcp",
                "ports": [[22, 22]],
                "bind": "lan",
                "address": "10.1.0.1",
                "sources": ["10.1.0.0/24", "10.9.0.0/16"],
                "public": False,
                "when": None,
                "plain": [],
            }
        ]
    }


# The iptables rules network.nat added before the firewall had its own
# table (commit 8085f37), by chain and comment: each is deleted as it was.
FORMER_RULES = {
    ("nat", "POSTROUTING", "openstack-salt: lan out through the gateway"),
    ("nat", "POSTROUTING", "openstack-salt: provider out through the gateway"),
    ("filter", "FORWARD", "openstack-salt: lan to the outside"),
    ("filter", "FORWARD", "openstack-salt: provider to the outside"),
    ("filter", "FORWARD", "openstack-salt: answers back in"),
    ("filter", "FORWARD", "openstack-salt: provider network only to the outside"),
    ("filter", "FORWARD", "openstack-salt: nothing new into the provider network"),
    ("filter", "INPUT", "openstack-salt: answers from the provider network"),
    ("filter", "INPUT", "openstack-salt: the gateway serves no instance"),
}


@pytest.mark.parametrize("family", GRAINS)
def test_network_nat_only_takes_out_its_former_iptables_rules(minion, family):
    result = show(minion("guide", family, "compute1"), "network.nat")
    function, args = state_args(result, "network-nat-ip-forward")
    assert (function, args["name"], args["value"]) == ("sysctl.present", "net.ipv4.ip_forward", 1)
    rules = set()
    for state_id in result:
        function, args = state_args(result, state_id)
        if not function.startswith("iptables."):
            continue
        assert function == "iptables.delete", state_id
        assert args["save"] is True
        # only once the firewall's own table (its NAT) is loaded
        assert {"cmd": "firewall-loaded"} in args["require"], state_id
        rules.add((args["table"], args["chain"], args["comment"]))
        if "jump" in args and args["chain"] != "POSTROUTING":
            assert args["jump"] in ("ACCEPT", "DROP")
    assert rules == FORMER_RULES
    assert not [sid for sid in result if sid.startswith("network-nat-persist")]
    masquerade = state_args(result, "network-nat-old-masquerade-provider")[1]
    assert (masquerade["source"], masquerade["out-interface"], masquerade["jump"]) == (
        PROVIDER,
        "eth0",
        "MASQUERADE",
    )
    drop = state_args(result, "network-nat-old-provider-input-drop")[1]
    assert (drop["in-interface"], drop["source"]) == ("! lo", PROVIDER)
    # the instances' router address: Zed's linuxbridge only (OVN: ovn.chassis)
    assert ("network-nat-provider-gateway" in result) is (family == "debian12")
    assert show(minion("guide", family, "compute2"), "network.nat") == {}


@pytest.mark.parametrize("host", sorted(GUIDE))
def test_every_highstate_has_the_firewall(minion, host):
    """Every host's highstate loads its table (the role SLS take it from
    stage 3 of salt/stages.yaml); the gateway's cleanup comes after."""
    low = minion("guide", "debian13", host).cmd("state.show_lowstate")
    assert isinstance(low, list), low
    ids = [chunk["__id__"] for chunk in low]
    assert "firewall-loaded" in ids
    cleanup = [i for i in ids if i.startswith("network-nat-old-")]
    assert bool(cleanup) is (host == "compute1")
