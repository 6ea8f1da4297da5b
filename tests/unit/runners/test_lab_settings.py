"""
The lab's settings (``_runners/_lab/settings.py``): derived from the pillar a
lab host sees, every problem reported at once, the lab's paths.
"""

import copy
import ipaddress
import json

import pytest
import salt.config
from salt.exceptions import SaltInvocationError

from _runners._lab import settings
from tests.lab.labkit import (
    CLOUD,
    COMPUTES,
    GATEWAY,
    HOSTS,
    LABCFG,
    LAN_ONLY,
    PUBLIC_IP,
    lab_pillar,
)
from tests.support.paths import PILLAR, SALT

LAN = ipaddress.ip_network(CLOUD["network"]["lan_cidr"])
PUBLIC = ipaddress.ip_network(LABCFG["public_cidr"])
UPLINK = list(ipaddress.ip_network(LABCFG["uplink"]["cidr"]).hosts())


def problems_of(pillar, upstream=(), suite=None):
    with pytest.raises(SaltInvocationError) as exc:
        settings.derive(pillar, list(upstream), suite=suite)
    return str(exc.value)


def nic(name, network, bridge, address, gateway):
    return {
        "name": name,
        "network": network,
        "bridge": bridge,
        "address": address,
        "gateway": gateway,
    }


def test_the_guides_hosts():
    cfg = settings.derive(lab_pillar(), [])
    assert sorted(cfg["machines"]) == sorted(HOSTS)
    assert cfg["gateway"] == GATEWAY
    assert cfg["suite"] == LABCFG["suite"] == "trixie"
    gateway = HOSTS[GATEWAY]["interfaces"]
    # The gateway, its NICs in the order of their names: the public one,
    # routed by the namespace's first public address; the LAN one, no
    # gateway; the provider one on the provider bridge, no address at all.
    assert gateway == {"public": "eth0", "lan": "eth1", "provider": "eth2"}
    assert cfg["machines"][GATEWAY]["nics"] == [
        nic(
            "eth0",
            "public",
            LABCFG["public_bridge"],
            f"{PUBLIC_IP}/{PUBLIC.prefixlen}",
            str(next(PUBLIC.hosts())),
        ),
        nic("eth1", "lan", LABCFG["lan_bridge"], f"{HOSTS[GATEWAY]['ip']}/{LAN.prefixlen}", None),
        nic("eth2", "provider", LABCFG["provider_bridge"], None, None),
    ]
    # Every other host: the LAN, everything through the gateway; the compute
    # hosts' provider NIC is the guide's unused eth0.
    for name in LAN_ONLY:
        lan = nic(
            "eth1" if name in COMPUTES else "eth0",
            "lan",
            LABCFG["lan_bridge"],
            f"{HOSTS[name]['ip']}/{LAN.prefixlen}",
            HOSTS[GATEWAY]["ip"],
        )
        assert HOSTS[name]["interfaces"]["lan"] == lan["name"]
        if name in COMPUTES:
            assert cfg["machines"][name]["nics"] == [
                nic("eth0", "provider", LABCFG["provider_bridge"], None, None),
                lan,
            ]
        else:
            assert cfg["machines"][name]["nics"] == [lan]
    for name, host in HOSTS.items():
        assert cfg["machines"][name]["brick"] == ("compute" in host["roles"])
    assert cfg["uplink_host_ip"] == str(UPLINK[0])
    assert cfg["uplink_netns_ip"] == str(UPLINK[1])
    assert cfg["lan_master_cidr"] == f"{LABCFG['lan_master_ip']}/{LAN.prefixlen}"
    assert cfg["public_router"] == f"{next(PUBLIC.hosts())}/{PUBLIC.prefixlen}"
    assert cfg["provider_bridge"] == LABCFG["provider_bridge"] == "br-provider"
    assert cfg["brick_path"] == CLOUD["storage"]["brick_path"]
    assert cfg["devices"] == LABCFG["devices"]


def test_a_provider_nic_that_is_the_lan_nic_is_not_wired():
    # It would carry the provider network as a VLAN on the LAN.
    pillar = lab_pillar()
    name = LAN_ONLY[0]
    ifs = pillar["openstack"]["hosts"][name]["interfaces"]
    ifs["provider"] = ifs["lan"]
    nics = settings.derive(pillar, [])["machines"][name]["nics"]
    assert [n["network"] for n in nics] == ["lan"]
    del ifs["provider"]
    assert settings.derive(pillar, [])["machines"][name]["nics"] == nics


def test_one_nic_on_two_networks():
    pillar = lab_pillar()
    pillar["openstack"]["hosts"][GATEWAY]["interfaces"]["provider"] = "eth0"
    assert problems_of(pillar) == (
        f"lab pillar: {GATEWAY}: eth0 on two networks (interfaces:public, interfaces:provider)"
    )


def test_the_suite_from_pillar_or_the_caller():
    pillar = lab_pillar()
    assert settings.derive(pillar, [], suite="bookworm")["suite"] == "bookworm"
    pillar["lab"]["suite"] = "bookworm"
    assert settings.derive(pillar, [])["suite"] == "bookworm"
    assert settings.rootfs_dir(settings.derive(pillar, [])) == (
        LABCFG["cache_dir"] + "/rootfs-bookworm"
    )
    assert problems_of(pillar, suite="sid") == (
        "lab pillar: lab:suite 'sid': the lab builds a rootfs of bookworm or trixie only"
    )
    del pillar["lab"]["suite"]
    assert "lab:suite None: " in problems_of(pillar)


def test_settings_survive_state_json():
    # `down` and `status` work from the copy `up` saved.
    cfg = settings.derive(lab_pillar(), [])
    assert json.loads(json.dumps(cfg)) == cfg


def test_every_problem_is_reported_at_once():
    pillar = lab_pillar()
    hosts = pillar["openstack"]["hosts"]
    second = LAN_ONLY[0]
    hosts[second]["roles"] = hosts[second]["roles"] + ["gateway"]
    hosts[LAN_ONLY[1]]["ip"] = "10.99.0.1"
    hosts[LAN_ONLY[2]]["ip"] = LABCFG["lan_master_ip"]
    del hosts[LAN_ONLY[3]]["interfaces"]["lan"]
    pillar["openstack"]["public_ip"] = "192.0.2.10"
    resolver = ipaddress.ip_address(str(list(PUBLIC.hosts())[9]))
    message = problems_of(pillar, [("nameserver", resolver)])
    # In this order: the whole map, the networks, then host by host.
    assert message == "lab pillar: " + "; ".join(
        [
            "exactly one host needs the gateway role, found %s"
            % [n for n in HOSTS if n in (GATEWAY, second)],
            f"nameserver {resolver} is inside lab:public_cidr {PUBLIC}: the lab could not "
            "reach it; pick another network in pillar/lab.sls",
            f"openstack:public_ip 192.0.2.10 is not in lab:public_cidr {PUBLIC}",
            f"gateway {second} has no interfaces:public",
            f"{LAN_ONLY[1]}: 10.99.0.1 is not in {LAN}",
            f"{LAN_ONLY[2]} uses lab:lan_master_ip {LABCFG['lan_master_ip']}",
            f"{LAN_ONLY[3]} has no interfaces:lan",
        ]
    )


def test_networks_must_not_overlap():
    pillar = lab_pillar()
    pillar["lab"]["uplink"]["cidr"] = CLOUD["network"]["lan_cidr"]
    assert "lan, public and uplink networks must not overlap" in problems_of(pillar)


def test_master_address_outside_the_lan():
    pillar = lab_pillar()
    pillar["lab"]["lan_master_ip"] = "10.1.2.3"
    assert f"lab:lan_master_ip 10.1.2.3 is not in {LAN}" in problems_of(pillar)


def test_gateway_without_a_public_nic():
    pillar = lab_pillar()
    del pillar["openstack"]["hosts"][GATEWAY]["interfaces"]["public"]
    assert f"gateway {GATEWAY} has no interfaces:public" in problems_of(pillar)


def test_an_empty_host_map():
    pillar = lab_pillar()
    pillar["openstack"]["hosts"] = {}
    assert problems_of(pillar) == "pillar openstack:hosts is empty"


def test_upstream_outside_the_lab_is_fine():
    cfg = settings.derive(lab_pillar(), [("mirror x", ipaddress.ip_address("151.101.2.132"))])
    assert cfg["gateway"] == GATEWAY


def test_nameservers():
    text = (
        "# comment\nsearch example.org\nnameserver 10.0.0.53\n"
        "nameserver not-an-address\nnameserver fd00::53\noptions edns0\nnameserver\n"
    )
    assert settings.nameservers(text) == [
        ipaddress.ip_address("10.0.0.53"),
        ipaddress.ip_address("fd00::53"),
    ]


@pytest.mark.parametrize(
    "mirror, host",
    [
        ("http://deb.debian.org/debian", "deb.debian.org"),
        ("http://10.0.0.1:3142/debian/", "10.0.0.1"),
        ("deb.example.org/debian", "deb.example.org"),
    ],
)
def test_mirror_host(mirror, host):
    assert settings.mirror_host(mirror) == host


def test_paths():
    where = settings.paths(
        {"root_dir": "/co/.run", "conf_file": "/co/conf/master", "pki_dir": "/co/.run/pki"}
    )
    assert where == {
        "root": "/co/.run",
        "lab": "/co/.run/lab",
        "lxcpath": "/co/.run/lab/lxc",
        "state": "/co/.run/lab/state.json",
        "lab_conf": "/co/.run/conf.d/lab.conf",
        "conf_dir": "/co/conf",
        "pki": "/co/.run/pki",
        "master_pid": "/co/.run/var/run/salt-master.pid",
        "acng_pid": "/co/.run/lab/apt-cacher-ng/pid",
    }


def test_saved_settings_win(tmp_path):
    saved = {"netns": "saved", "suite": "trixie"}
    (tmp_path / "state.json").write_text(json.dumps(saved))
    assert settings.saved({}, {"state": str(tmp_path / "state.json")}) == saved


def test_a_lab_saved_before_suites_ran_bookworm(tmp_path):
    (tmp_path / "state.json").write_text(json.dumps({"netns": "saved"}))
    assert settings.saved({}, {"state": str(tmp_path / "state.json")}) == {
        "netns": "saved",
        "suite": "bookworm",
    }


def master_opts(tmp_path, pillar_root):
    opts = salt.config.master_config(None)
    opts.update(
        {
            "root_dir": str(tmp_path),
            "cachedir": str(tmp_path / "cache"),
            "pki_dir": str(tmp_path / "pki"),
            "file_roots": {"base": [str(SALT)]},
            "pillar_roots": {"base": [str(pillar_root)]},
            "pillar_source_merging_strategy": "recurse",
            "pillar_merge_lists": False,
        }
    )
    return opts


def test_the_pillar_salt_compiles_for_a_lab_host(tmp_path):
    # What a lab master gives its minions (pillar/top.sls adds lab.sls when
    # opts.openstack_lab is set) is what the tests merge from the files.
    pillar = settings.lab_pillar(master_opts(tmp_path, PILLAR))
    assert pillar["openstack"]["public_ip"] == PUBLIC_IP
    assert settings.derive(pillar, []) == settings.derive(lab_pillar(), [])


def test_a_pillar_without_the_lab(tmp_path):
    root = tmp_path / "pillar"
    root.mkdir()
    (root / "top.sls").write_text("base:\n  '*':\n    - other\n")
    (root / "other.sls").write_text("other: 1\n")
    with pytest.raises(SaltInvocationError, match="pillar has no `lab:` key"):
        settings.lab_pillar(master_opts(tmp_path, root))


def test_a_pillar_that_does_not_render(tmp_path):
    root = tmp_path / "pillar"
    root.mkdir()
    (root / "top.sls").write_text("base:\n  '*':\n    - broken\n")
    (root / "broken.sls").write_text("lab: {netns: [oslab\n")
    with pytest.raises(SaltInvocationError, match="pillar does not render: "):
        settings.lab_pillar(master_opts(tmp_path, root))


def test_lab_pillar_leaves_the_options_alone(tmp_path):
    opts = master_opts(tmp_path, PILLAR)
    before = copy.deepcopy(opts)
    settings.lab_pillar(opts)
    assert "openstack_lab" not in opts
    assert opts == before
