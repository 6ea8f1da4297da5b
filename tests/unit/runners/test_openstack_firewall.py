"""
Validation of the host firewall's data (issue 13; ``openstack.validate``,
orchestration stage 1, before any host is touched): openstack:firewall's
admin_sources and services, each kind of bad input with its own message
naming the key; the shipped data and good edits give none.
"""

import pytest

from tests.support.pillars import load_runner, openstack_of

runner = load_runner()


def _firewall(data):
    return data.setdefault("firewall", {})


def _service(data, name, **spec):
    """Set (or add) one service of openstack:firewall:services in pillar."""
    _firewall(data).setdefault("services", {})[name] = spec


def _problems(breaks):
    data = openstack_of("guide")
    breaks(data)
    return runner.check({"openstack": data})


# (id, how to break the guide's pillar, the start of the message)
BAD = [
    (
        "admin-sources-not-a-list",
        lambda d: _firewall(d).update(admin_sources="10.9.0.0/16"),
        "openstack:firewall:admin_sources: must be a list of addresses or networks",
    ),
    (
        "admin-source-not-an-address",
        lambda d: _firewall(d).update(admin_sources=["10.9.0"]),
        "openstack:firewall:admin_sources: '10.9.0' is not an IP address or a network in CIDR form",
    ),
    (
        "admin-source-a-name",
        lambda d: _firewall(d).update(admin_sources=["bastion.example.com"]),
        "openstack:firewall:admin_sources: 'bastion.example.com' is not an IP address",
    ),
    (
        "admin-source-prefix-too-long",
        lambda d: _firewall(d).update(admin_sources=["10.9.0.0/33"]),
        "openstack:firewall:admin_sources: '10.9.0.0/33' is not an IP address",
    ),
    (
        "admin-source-host-bits",
        lambda d: _firewall(d).update(admin_sources=["10.9.1.1/16"]),
        "openstack:firewall:admin_sources: '10.9.1.1/16' has host bits set (did you mean "
        "10.9.0.0/16?)",
    ),
    (
        "admin-source-overlaps-the-provider-network",
        lambda d: _firewall(d).update(admin_sources=["10.0.0.0/16"]),
        "openstack:firewall:admin_sources: '10.0.0.0/16' overlaps the provider network "
        "10.0.0.0/24: instances would reach the hosts' SSH",
    ),
    (
        "services-not-a-mapping",
        lambda d: _firewall(d).update(services=["ssh"]),
        "openstack:firewall:services: must be a mapping of service names",
    ),
    (
        "service-bad-name",
        lambda d: _service(d, "my service", roles=["compute"], ports=[8000], **{"from": []}),
        "openstack:firewall:services:my service: is not a valid service name",
    ),
    (
        "service-not-a-mapping",
        lambda d: _firewall(d).setdefault("services", {}).update(ssh=[22]),
        "openstack:firewall:services:ssh: must be a mapping (roles, ports, proto, bind, from",
    ),
    (
        "service-unknown-role",
        lambda d: _service(d, "ssh", roles=["controller", "storage"]),
        "openstack:firewall:services:ssh:roles: unknown role 'storage' (known: controller, "
        "compute, gateway)",
    ),
    (
        "service-without-roles",
        lambda d: _service(d, "ssh", roles=[]),
        "openstack:firewall:services:ssh:roles: must be a non-empty list of roles",
    ),
    (
        "port-above-65535",
        lambda d: _service(d, "ssh", ports=[70000]),
        "openstack:firewall:services:ssh:ports: '70000' is outside 1-65535",
    ),
    (
        "port-zero",
        lambda d: _service(d, "vnc", ports=["0-99"]),
        "openstack:firewall:services:vnc:ports: '0-99' is outside 1-65535",
    ),
    (
        "port-range-reversed",
        lambda d: _service(d, "vnc", ports=["5999-5900"]),
        "openstack:firewall:services:vnc:ports: '5999-5900': the first port is after the last",
    ),
    (
        "port-not-a-number",
        lambda d: _service(d, "ssh", ports=["ssh"]),
        "openstack:firewall:services:ssh:ports: 'ssh' is not a port or a 'first-last' range",
    ),
    (
        "port-a-boolean",
        lambda d: _service(d, "ssh", ports=[True]),
        "openstack:firewall:services:ssh:ports: 'True' is not a port",
    ),
    (
        "ports-empty",
        lambda d: _service(d, "ssh", ports=[]),
        "openstack:firewall:services:ssh:ports: must be a non-empty list of ports",
    ),
    (
        "proto-unknown",
        lambda d: _service(d, "geneve", proto="sctp"),
        "openstack:firewall:services:geneve:proto: 'sctp' is not tcp or udp",
    ),
    (
        "bind-unknown",
        lambda d: _service(d, "mariadb", bind="everywhere"),
        "openstack:firewall:services:mariadb:bind: 'everywhere' is not one of lan, loopback, "
        "any, public",
    ),
    (
        "from-unknown",
        lambda d: _service(d, "rabbitmq", **{"from": ["computes"]}),
        "openstack:firewall:services:rabbitmq:from: unknown source 'computes'; did you mean "
        "'compute'?",
    ),
    (
        "from-not-a-list",
        lambda d: _service(d, "rabbitmq", **{"from": "compute"}),
        "openstack:firewall:services:rabbitmq:from: must be a list",
    ),
    (
        "loopback-with-sources",
        lambda d: _service(d, "ovsdb-local", **{"from": ["compute"]}),
        "openstack:firewall:services:ovsdb-local:from: bind loopback: only the host itself can "
        "connect",
    ),
    (
        "public-without-the-gateway",
        lambda d: _service(d, "keystone", roles=["controller"], **{"from": ["public", "hosts"]}),
        "openstack:firewall:services:keystone: public (bind or from) needs the gateway role",
    ),
    (
        "when-not-a-word",
        lambda d: _service(d, "vnc", when=5),
        "openstack:firewall:services:vnc:when: '5' is not null or a word",
    ),
    (
        "no-ports-and-not-in-the-catalog",
        lambda d: _service(d, "swift", roles=["controller"], bind="lan", **{"from": ["hosts"]}),
        "openstack:firewall:services:swift:ports: missing, and openstack:catalog:swift has no "
        "port to take",
    ),
    (
        "catalog-port-not-a-number",
        lambda d: d.setdefault("catalog", {}).update(glance={"port": "9292/tcp"}),
        "openstack:firewall:services:glance:ports: missing, and openstack:catalog:glance has no "
        "port to take",
    ),
    (
        "gateway-public-is-the-lan-interface",
        lambda d: d["hosts"]["compute1"]["interfaces"].update(public="eth1"),
        "openstack:hosts:compute1:interfaces:public: 'eth1' is also the LAN interface",
    ),
]


@pytest.mark.parametrize("breaks,expected", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_each_bad_firewall_input_has_its_own_message(breaks, expected):
    problems = _problems(breaks)
    assert any(p.startswith(expected) for p in problems), problems


@pytest.mark.parametrize("breaks", [b[1] for b in BAD], ids=[b[0] for b in BAD])
def test_every_firewall_message_names_its_key(breaks):
    problems = _problems(breaks)
    assert problems
    assert all(p.startswith("openstack:") for p in problems), problems


def test_the_firewall_messages_are_distinct():
    """No two kinds of bad input give the same problems."""
    assert len({tuple(_problems(breaks)) for _, breaks, _ in BAD}) == len(BAD)


@pytest.mark.parametrize("name", ["guide", "three_hosts", "twelve_computes"])
def test_the_shipped_firewall_data_is_valid(name):
    """salt/defaults.yaml's firewall block with each test pillar: no problem
    (the other checks have none either)."""
    assert runner.check({"openstack": openstack_of(name)}) == []


def test_good_firewall_edits_are_valid():
    """Admin networks of both families and single addresses; a port given
    as a string; a service of the catalog taking its port from there."""

    def edit(d):
        _firewall(d).update(admin_sources=["10.9.0.0/16", "203.0.113.7", "2001:db8::/32"])
        _service(d, "ssh", roles=["controller", "compute"], ports=["22"], bind="any")
        _service(d, "keystone", roles=["controller"], bind="lan", **{"from": ["hosts"]})
        _service(d, "vnc", ports=["5900-5999"], when="instances")

    assert _problems(edit) == []


def test_all_firewall_problems_at_once():
    """Several problems of one service and of the admin networks, together."""

    def edit(d):
        _firewall(d).update(admin_sources=["10.9.0", "10.0.0.0/16"])
        _service(d, "ssh", roles=["storage"], ports=[0], proto="icmp", bind="all")

    problems = _problems(edit)
    for key in (
        "openstack:firewall:admin_sources: '10.9.0'",
        "openstack:firewall:admin_sources: '10.0.0.0/16' overlaps",
        "openstack:firewall:services:ssh:roles:",
        "openstack:firewall:services:ssh:ports:",
        "openstack:firewall:services:ssh:proto:",
        "openstack:firewall:services:ssh:bind:",
    ):
        assert any(p.startswith(key) for p in problems), (key, problems)
