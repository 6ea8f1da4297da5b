"""
The pillar validation (`salt-run openstack.validate`, orchestration stage 1):
every kind of bad input gets its own message naming the key; good pillars
get none; several problems are reported together.
"""

import copy

import pytest
import yaml
from pillars import PILLAR, REPO, load_runner, openstack_of, secrets_for

runner = load_runner()

PILLARS = ["guide", "three_hosts", "twelve_computes"]


@pytest.mark.parametrize("name", PILLARS)
def test_valid_pillars_have_no_problem(name):
    assert runner.check({"openstack": openstack_of(name)}) == []


def _host(data, name):
    return data["hosts"][name]


def _pop(mapping, key):
    mapping.pop(key)


# (id, how to break the guide's pillar, the key and words the message must name)
BAD = [
    (
        "malformed-ip",
        lambda d: _host(d, "compute2").update(ip="192.168.0.300"),
        "openstack:hosts:compute2:ip: '192.168.0.300' is not a valid IP address",
    ),
    (
        "not-an-ip",
        lambda d: _host(d, "compute2").update(ip="compute2.lan"),
        "openstack:hosts:compute2:ip: 'compute2.lan' is not a valid IP address",
    ),
    (
        "duplicate-ip",
        lambda d: _host(d, "compute3").update(ip="192.168.0.2"),
        "openstack:hosts:compute3:ip: 192.168.0.2 is also the address of compute2",
    ),
    (
        "ip-outside-lan",
        lambda d: _host(d, "compute4").update(ip="192.168.1.4"),
        "openstack:hosts:compute4:ip: 192.168.1.4 is outside the LAN 192.168.0.0/24",
    ),
    (
        "ip-is-broadcast",
        lambda d: _host(d, "compute4").update(ip="192.168.0.255"),
        "openstack:hosts:compute4:ip: 192.168.0.255 is the network or broadcast address",
    ),
    (
        "unknown-role",
        lambda d: _host(d, "compute2").update(roles=["compute", "storage"]),
        "openstack:hosts:compute2:roles: unknown role 'storage'",
    ),
    (
        "no-controller",
        lambda d: _host(d, "controller").update(roles=["compute"]),
        "openstack:hosts: exactly one host needs the controller role, found 0",
    ),
    (
        "two-controllers",
        lambda d: _host(d, "compute4").update(roles=["controller"]),
        "openstack:hosts: exactly one host needs the controller role, found 2",
    ),
    (
        "no-compute",
        lambda d: (
            [h.update(roles=["controller"]) for h in d["hosts"].values()]
            and _host(d, "compute1").update(roles=["gateway"])
        ),
        "openstack:hosts: no host has the compute role",
    ),
    (
        "gateway-not-compute",
        lambda d: _host(d, "compute1").update(roles=["gateway"]),
        "openstack:hosts:compute1:roles: the gateway must also be a compute host",
    ),
    (
        "gateway-without-public-interface",
        lambda d: _pop(_host(d, "compute1")["interfaces"], "public"),
        "openstack:hosts:compute1:interfaces:public: the gateway needs a public interface",
    ),
    (
        "no-gateway",
        lambda d: _host(d, "compute1").update(roles=["compute"]),
        "openstack:hosts: exactly one host needs the gateway role, found 0",
    ),
    (
        "replica-larger-than-bricks",
        lambda d: d["storage"].update(replica=5),
        "openstack:storage:replica: replica 5 is larger than the 4 brick (compute) hosts",
    ),
    (
        "replica-not-dividing-bricks",
        lambda d: d["storage"].update(replica=3),
        "openstack:storage:replica: replica 3 does not divide the 4 brick (compute) hosts",
    ),
    (
        "replica-not-a-number",
        lambda d: d["storage"].update(replica="four"),
        "openstack:storage:replica: 'four' is not a positive integer",
    ),
    (
        "pool-outside-cidr",
        lambda d: d["network"]["provider"]["allocation_pool"].update(end="10.0.1.20"),
        "openstack:network:provider:allocation_pool:end: 10.0.1.20 is outside 10.0.0.0/24",
    ),
    (
        "pool-reversed",
        lambda d: d["network"]["provider"]["allocation_pool"].update(
            start="10.0.0.200", end="10.0.0.100"
        ),
        "openstack:network:provider:allocation_pool: start 10.0.0.200 is after end 10.0.0.100",
    ),
    (
        "provider-overlaps-lan",
        lambda d: d["network"]["provider"].update(
            cidr="192.168.0.0/23",
            gateway="192.168.1.1",
            allocation_pool={"start": "192.168.1.10", "end": "192.168.1.20"},
        ),
        "openstack:network:provider:cidr: 192.168.0.0/23 overlaps the LAN 192.168.0.0/24",
    ),
    (
        "pool-overlaps-lan",
        lambda d: d["network"]["provider"].update(
            cidr="192.168.0.0/23",
            gateway="192.168.1.1",
            allocation_pool={"start": "192.168.0.200", "end": "192.168.1.20"},
        ),
        "openstack:network:provider:allocation_pool: the pool overlaps the LAN 192.168.0.0/24",
    ),
    (
        "pool-contains-gateway",
        lambda d: d["network"]["provider"].update(gateway="10.0.0.20"),
        "openstack:network:provider:allocation_pool: the pool 10.0.0.10-10.0.0.250 contains "
        "the gateway 10.0.0.20",
    ),
    (
        "lan-not-a-cidr",
        lambda d: d["network"].update(lan_cidr="192.168.0.0"),
        "openstack:network:lan_cidr: '192.168.0.0' is not a network in CIDR form",
    ),
    (
        "missing-secret",
        lambda d: _pop(d["secrets"], "nova_db_password"),
        "openstack:secrets:nova_db_password: missing",
    ),
    (
        "empty-secret",
        lambda d: d["secrets"].update(admin_password=""),
        "openstack:secrets:admin_password: missing",
    ),
    (
        "host-name-not-dns-label",
        lambda d: d["hosts"].update(compute_5=dict(_host(d, "compute4"), ip="192.168.0.6")),
        "openstack:hosts:compute_5: 'compute_5' is not a valid host name (DNS label)",
    ),
    (
        "alias-not-dns-label",
        lambda d: _host(d, "compute1").update(aliases=["gate way"]),
        "openstack:hosts:compute1: 'gate way' is not a valid host name (DNS label)",
    ),
    (
        "public-ip-malformed",
        lambda d: d.update(public_ip="128.250.26"),
        "openstack:public_ip: '128.250.26' is not a valid IP address",
    ),
    (
        "nova-uid-not-system",
        lambda d: d["nova"].update(uid=64060),
        "openstack:nova:uid: '64060' is not a system id",
    ),
    (
        "unknown-virt-type",
        lambda d: d["compute"].update(virt_type="xen"),
        "openstack:compute:virt_type: 'xen' is not auto, kvm or qemu",
    ),
    (
        "verify-boot-host-not-compute",
        lambda d: d.update(verify={"boot_host": "controller"}),
        "openstack:verify:boot_host: 'controller' is not a compute host of the host map",
    ),
    (
        "verify-migrate-to-boot-host",
        lambda d: d.update(verify={"boot_host": "compute2", "migrate_to": "compute2"}),
        "openstack:verify:migrate_to: is the boot host",
    ),
    (
        "verify-outside-url-not-http",
        lambda d: d.update(verify={"outside_url": "198.51.100.1"}),
        "openstack:verify:outside_url: '198.51.100.1' is not an http:// URL",
    ),
    (
        "verify-timeout-too-short",
        lambda d: d.update(verify={"timeout": 5}),
        "openstack:verify:timeout: '5' is not a number of seconds >= 30",
    ),
    (
        "dashboard-allowed-hosts-not-list",
        lambda d: d.update(dashboard={"allowed_hosts": "cloud.example.com"}),
        "openstack:dashboard:allowed_hosts: must be a list of host names",
    ),
    (
        "no-ntp-server",
        lambda d: d["ntp"].update(servers=[]),
        "openstack:ntp:servers: must be a non-empty list",
    ),
]


@pytest.mark.parametrize("breaks,expected", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_each_bad_input_has_its_own_message(breaks, expected):
    data = openstack_of("guide")
    breaks(data)
    problems = runner.check({"openstack": data})
    assert any(p.startswith(expected) for p in problems), problems


def test_messages_are_distinct():
    """No two kinds of bad input share a message: each is recognisable."""
    first_lines = set()
    for _, breaks, _expected in BAD:
        data = openstack_of("guide")
        breaks(data)
        first_lines.add(tuple(runner.check({"openstack": data})))
    assert len(first_lines) == len(BAD)


def test_all_problems_reported_at_once():
    chosen = [
        b
        for b in BAD
        if b[0]
        in {
            "public-ip-malformed",
            "duplicate-ip",
            "unknown-role",
            "replica-not-dividing-bricks",
            "pool-outside-cidr",
            "missing-secret",
        }
    ]
    data = openstack_of("guide")
    for _, breaks, _ in chosen:
        breaks(data)
    problems = runner.check({"openstack": data})
    for _, _, expected in chosen:
        assert any(p.startswith(expected) for p in problems), (expected, problems)


def test_no_openstack_mapping():
    assert runner.check({}) == ["openstack: the pillar has no 'openstack' mapping"]


def test_secret_names_follow_services():
    data = openstack_of("guide", with_secrets=False)
    names = runner.secret_names(data)
    assert "keystone_db_password" in names
    assert "keystone_password" not in names  # keystone has no service user
    assert {"nova_password", "nova_db_password", "admin_password"} <= set(names)
    data["services"]["heat"] = {"database": True, "user": True}
    assert {"heat_db_password", "heat_password"} <= set(runner.secret_names(data))


def test_check_takes_the_openstack_mapping_itself():
    data = copy.deepcopy(openstack_of("three_hosts"))
    assert runner.check(data) == []


def _keys(data, prefix=""):
    keys = set()
    for key, value in data.items():
        path = f"{prefix}:{key}" if prefix else str(key)
        keys.add(path)
        if isinstance(value, dict) and key != "hosts":
            keys |= _keys(value, path)
    return keys


def test_pillar_example_documents_every_key():
    """pillar.example names every key the shipped pillar sets, and is itself
    a valid pillar once secrets are added."""
    example = yaml.safe_load((REPO / "pillar.example").read_text())
    shipped = {}
    for name in ("hosts", "cloud"):
        shipped.update(
            yaml.safe_load((PILLAR / "openstack" / f"{name}.sls").read_text())["openstack"]
        )
    assert _keys(shipped) <= _keys(example["openstack"])
    example["openstack"]["secrets"] = secrets_for(example["openstack"])
    assert runner.check(example) == []
