"""
Operators' config overrides (openstack:config_overrides:<service>:<file>:
<section>:<option>), as OpenStack-Ansible's *_overrides: any option of any
INI file the states manage, merged last, so it wins over what the states set.
"""

import pytest

from tests.support.render import GRAINS, show, state_args

OVERRIDES = {
    "openstack": {
        "config_overrides": {
            "nova": {
                "nova.conf": {
                    "DEFAULT": {"cpu_allocation_ratio": 2.0, "my_ip": "192.168.0.250"},
                    "scheduler": {"discover_hosts_in_cells_interval": 300},
                },
                "nova-compute.conf": {"libvirt": {"cpu_mode": "host-model"}},
            },
            "neutron": {
                "neutron.conf": {"DEFAULT": {"debug": True}},
                "ml2_conf.ini": {"ml2": {"path_mtu": 1450}},
            },
        }
    }
}


@pytest.mark.parametrize("family", GRAINS)
def test_override_lands_in_nova_conf(minion, family):
    caller = minion("guide", family, "compute2", local=OVERRIDES)
    _, args = state_args(show(caller, "nova.compute"), "nova-compute-config")
    assert args["name"] == "/etc/nova/nova.conf"
    sections = args["sections"]
    # a new option, a new section, and an option the states set: overridden
    assert sections["DEFAULT"]["cpu_allocation_ratio"] == 2.0
    assert sections["DEFAULT"]["my_ip"] == "192.168.0.250"
    assert sections["scheduler"]["discover_hosts_in_cells_interval"] == 300
    # what the states set and nobody overrode stays
    assert sections["libvirt"]["live_migration_scheme"] == "ssh"
    assert sections["DEFAULT"]["transport_url"].startswith("rabbit://openstack:")


def test_override_lands_in_nova_compute_conf_on_debian(minion):
    caller = minion("guide", "debian12", "compute2", local=OVERRIDES)
    _, args = state_args(show(caller, "nova.compute"), "nova-compute-hypervisor")
    libvirt = args["sections"]["libvirt"]
    assert libvirt["cpu_mode"] == "host-model"
    assert libvirt["virt_type"] in ("kvm", "qemu")


@pytest.mark.parametrize("family", GRAINS)
def test_override_lands_in_neutron_conf(minion, family):
    caller = minion("guide", family, "controller", local=OVERRIDES)
    result = show(caller, "neutron.server")
    _, server = state_args(result, "neutron-server-config")
    assert server["name"] == "/etc/neutron/neutron.conf"
    assert server["sections"]["DEFAULT"]["debug"] is True
    assert server["sections"]["DEFAULT"]["core_plugin"] == "ml2"
    _, ml2 = state_args(result, "neutron-server-ml2")
    assert ml2["sections"]["ml2"]["path_mtu"] == 1450
    # what the states set and nobody overrode stays: ML2/OVN on 2025.1
    # (Debian 13, CentOS Stream 9), linuxbridge on Debian 12's Zed
    expected = "flat" if family == "debian12" else "flat,geneve"
    assert ml2["sections"]["ml2"]["type_drivers"] == expected


def test_no_override_changes_nothing(minion):
    plain = state_args(
        show(minion("guide", "debian12", "controller"), "neutron.server"), "neutron-server-config"
    )[1]
    assert "debug" not in plain["sections"]["DEFAULT"]


def test_a_removed_override_is_removed_from_the_file(minion, tmp_path):
    """The host records which options overrides set (names only); an option
    a former override set and nothing sets now is deleted from the file."""
    record = tmp_path / "config-overrides" / "nova" / "nova.conf.json"
    record.parent.mkdir(parents=True)
    record.write_text('{"DEFAULT": ["cpu_allocation_ratio", "my_ip"], "scheduler": ["x"]}')
    local = {
        "openstack": {
            "state_dir": str(tmp_path),
            "config_overrides": {"nova": {"nova.conf": {"scheduler": {"x": 1}}}},
        }
    }
    result = show(minion("guide", "debian12", "compute2", local=local), "nova.compute")
    _, args = state_args(result, "nova-compute-config")
    # my_ip is still set by the states: only the orphan goes
    assert args["absent"] == {"DEFAULT": ["cpu_allocation_ratio"]}
    assert args["sections"]["scheduler"] == {"x": 1}
    _, rec = state_args(result, "nova-compute-config-overrides")
    assert rec["name"] == str(record)
    assert rec["dataset"] == {"scheduler": ["x"]}


def test_no_record_without_overrides(minion):
    result = show(minion("guide", "debian12", "compute2"), "nova.compute")
    assert "nova-compute-config-overrides" not in result
    _, args = state_args(result, "nova-compute-config")
    assert "absent" not in args
