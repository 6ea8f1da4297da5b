"""
The ovn state module over the real execution module, whose ``cmd.run_all``
answers with output recorded from real ovsdb-server/ovs-vswitchd processes
(tests/unit/ovn_json). Each test checks the state's return and which command
lines ran: under test=True, on a second run and on every refusal, none that
writes.
"""

import pytest

from tests.unit.modules.test_ovn import BRIDGES, IDS, NB_CONN, SB_CONN, FakeCtl

FUNCTIONS = (
    "normalize_targets",
    "normalize_ids",
    "normalize_bridge",
    "get_connection",
    "set_connection",
    "ovs_external_ids",
    "set_ovs_external_ids",
    "bridge",
    "add_bridge",
    "port_errors",
)
CHASSIS_IDS = {
    "hostname": "compute1",
    "ovn-bridge-mappings": "provider:br-provider",
    "ovn-encap-ip": "192.168.0.11",
    "ovn-encap-type": "geneve",
    "ovn-remote": "tcp:192.168.0.5:6642",
    "system-id": "compute1",
}


@pytest.fixture
def ovn(extension):
    return extension("_modules", "ovn")


@pytest.fixture
def state(extension):
    return extension("_states", "ovn")


@pytest.fixture
def fake():
    return FakeCtl()


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def configure_loader_modules(ovn, state, fake, opts):
    return {
        ovn: {"__salt__": {"cmd.run_all": fake}, "__opts__": {}},
        state: {
            "__salt__": {f"ovn.{name}": getattr(ovn, name) for name in FUNCTIONS},
            "__opts__": opts,
        },
    }


# --------------------------------------------------------------------------- connection


def test_connection_set(state, fake):
    fake.answer(
        {
            NB_CONN: ["nb_connection_none.json", "nb_connection.json"],
            "ovn-nbctl set-connection ptcp:6641:192.168.0.5": "",
        }
    )
    ret = state.connection("nb", ["ptcp:6641:192.168.0.5"])
    assert ret == {
        "name": "nb",
        "result": True,
        "comment": "nb connections set to ptcp:6641:192.168.0.5",
        "changes": {"targets": {"old": [], "new": ["ptcp:6641:192.168.0.5"]}},
    }
    assert fake.writes() == ["ovn-nbctl set-connection ptcp:6641:192.168.0.5"]


def test_connection_test_mode_writes_nothing(state, fake, opts):
    opts["test"] = True
    fake.answer({NB_CONN: "nb_connection_none.json"})
    ret = state.connection("nb", ["ptcp:6641:192.168.0.5"])
    assert ret["result"] is None
    assert ret["comment"] == "nb connections would be set to ptcp:6641:192.168.0.5"
    assert ret["changes"] == {"targets": {"old": [], "new": ["ptcp:6641:192.168.0.5"]}}
    assert fake.writes() == []


def test_connection_already_right_in_any_order(state, fake):
    fake.answer({SB_CONN: "sb_connection_two.json"})
    ret = state.connection("sb", ["ptcp:6642:192.168.0.5", "ptcp:6642:127.0.0.1"])
    assert ret["result"] is True
    assert ret["changes"] == {}
    assert ret["comment"] == (
        "sb connections are already ptcp:6642:127.0.0.1, ptcp:6642:192.168.0.5"
    )
    assert fake.writes() == []


def test_connection_not_taken_fails(state, fake):
    # set-connection "succeeds" but the database still says otherwise.
    fake.answer({NB_CONN: "nb_connection_none.json", "ovn-nbctl set-connection ptcp:6641": ""})
    ret = state.connection("nb", ["ptcp:6641"])
    assert ret["result"] is False
    assert ret["comment"] == "nb connections are none after set-connection, not ptcp:6641"
    assert ret["changes"] == {}


@pytest.mark.parametrize("test", [True, False])
def test_connection_bad_arguments(state, fake, opts, test):
    opts["test"] = test
    ret = state.connection("nb", ["6641"])
    assert ret["result"] is False
    assert "targets: '6641' is not an OVSDB remote" in ret["comment"]
    ret = state.connection("ovs", ["ptcp:6640"])
    assert ret["result"] is False
    assert ret["comment"] == "db must be one of nb, sb, not 'ovs'"
    assert fake.calls == []


def test_connection_server_down(state, fake):
    fake.answer({NB_CONN: ("nb_no_server.stderr", 1)})
    ret = state.connection("nb", ["ptcp:6641:192.168.0.5"])
    assert ret["result"] is False
    assert "database connection failed (No such file or directory)" in ret["comment"]


# --------------------------------------------------------------------------- external_ids


def test_external_ids_set_from_empty(state, fake):
    write = " -- ".join(
        f'set Open_vSwitch . external_ids:"{key}"="{value}"'
        for key, value in sorted(CHASSIS_IDS.items())
    )
    fake.answer(
        {
            f"ovs-vsctl --no-wait {write}": "",
            IDS: ["ovs_ids_empty.json", "ovs_ids_chassis.json"],
        }
    )
    ret = state.ovs_external_ids("ovn-chassis", CHASSIS_IDS)
    assert ret["result"] is True
    assert ret["changes"] == {
        key: {"old": None, "new": value} for key, value in CHASSIS_IDS.items()
    }
    assert ret["comment"].startswith("external_ids hostname, ovn-bridge-mappings, ")
    assert len(fake.writes()) == 1


def test_external_ids_only_changed_keys_written(state, fake):
    write = (
        'ovs-vsctl --no-wait remove Open_vSwitch . external_ids "ovn-cms-options"'
        ' -- set Open_vSwitch . external_ids:"ovn-encap-ip"="192.168.0.12"'
    )
    fake.answer({write: "", IDS: ["ovs_ids_chassis.json", "ovs_ids_changed.json"]})
    wanted = dict(CHASSIS_IDS, **{"ovn-encap-ip": "192.168.0.12", "ovn-cms-options": None})
    ret = state.ovs_external_ids("ovn-chassis", wanted)
    assert ret == {
        "name": "ovn-chassis",
        "result": True,
        "comment": "external_ids ovn-cms-options, ovn-encap-ip changed",
        "changes": {
            "ovn-cms-options": {"old": "enable-chassis-as-gw,availability-zones=az1", "new": None},
            "ovn-encap-ip": {"old": "192.168.0.11", "new": "192.168.0.12"},
        },
    }
    assert fake.writes() == [write]


def test_external_ids_second_run_and_test_mode(state, fake, opts):
    fake.answer({IDS: "ovs_ids_changed.json"})
    wanted = dict(CHASSIS_IDS, **{"ovn-encap-ip": "192.168.0.12", "ovn-cms-options": None})
    ret = state.ovs_external_ids("ovn-chassis", wanted)
    assert ret["result"] is True
    assert ret["changes"] == {}
    opts["test"] = True
    ret = state.ovs_external_ids("ovn-chassis", dict(wanted, hostname="compute1.lan"))
    assert ret["result"] is None
    assert ret["changes"] == {"hostname": {"old": "compute1", "new": "compute1.lan"}}
    assert ret["comment"] == "external_ids hostname would be changed"
    assert fake.writes() == []


def test_external_ids_value_not_taken_fails(state, fake):
    # The write "succeeds" but the row reads back unchanged.
    fake.answer(
        {
            'ovs-vsctl --no-wait set Open_vSwitch . external_ids:"hostname"="compute9"': "",
            IDS: "ovs_ids_chassis.json",
        }
    )
    ret = state.ovs_external_ids("ovn-chassis", {"hostname": "compute9"})
    assert ret["result"] is False
    assert ret["comment"] == "external_ids hostname did not take the value"
    assert ret["changes"] == {}


def test_external_ids_bad_arguments(state, fake):
    ret = state.ovs_external_ids("x", {"hostname": {"a": 1}})
    assert ret["result"] is False
    assert ret["comment"].startswith("ids: value of hostname must be a string")
    ret = state.ovs_external_ids("x", {})
    assert ret["comment"] == "ids must name at least one key"
    assert fake.calls == []


# --------------------------------------------------------------------------- bridge


ADD_BR = (
    "ovs-vsctl --may-exist add-br br-provider -- set Bridge br-provider datapath_type=netdev"
    " -- --may-exist add-port br-provider eth2"
)


def test_bridge_created(state, fake):
    fake.answer({ADD_BR: "", BRIDGES: ["bridges_none.json", "bridges_netdev.json"]})
    ret = state.bridge("br-provider", datapath_type="netdev", ports=["eth2"])
    assert ret == {
        "name": "br-provider",
        "result": True,
        "comment": "bridge br-provider created with ports eth2",
        "changes": {
            "bridge": {"old": None, "new": "br-provider"},
            "datapath_type": {"old": None, "new": "netdev"},
            "ports": {"old": [], "new": ["eth2"]},
        },
    }
    assert fake.writes() == [ADD_BR]


def test_bridge_test_mode(state, fake, opts):
    opts["test"] = True
    fake.answer({BRIDGES: "bridges_none.json"})
    ret = state.bridge("br-provider", datapath_type="netdev", ports=["eth2"])
    assert ret["result"] is None
    assert ret["comment"] == "bridge br-provider would be created with ports eth2"
    assert fake.writes() == []


def test_bridge_second_run_leaves_other_ports(state, fake):
    # patch-provnet-1 (ovn-controller's) is not named: left alone, its error ignored.
    fake.answer({BRIDGES: "bridges_netdev.json"})
    ret = state.bridge("br-provider", datapath_type="netdev", ports=["eth2"])
    assert ret["result"] is True
    assert ret["changes"] == {}
    assert ret["comment"] == "bridge br-provider (netdev) already has ports eth2"
    assert fake.writes() == []


def test_bridge_datapath_switched(state, fake, opts):
    fake.answer({ADD_BR: "", BRIDGES: ["bridges_system_unapplied.json", "bridges_netdev.json"]})
    ret = state.bridge("br-provider", datapath_type="netdev", ports=["eth2"])
    assert ret["result"] is True
    assert ret["changes"] == {"datapath_type": {"old": "system", "new": "netdev"}}
    assert ret["comment"] == "bridge br-provider switched to datapath netdev"


def test_bridge_port_added(state, fake):
    write = (
        "ovs-vsctl --may-exist add-br br-provider -- set Bridge br-provider datapath_type=netdev"
        " -- --may-exist add-port br-provider eth2 -- --may-exist add-port br-provider eth9"
    )
    fake.answer({write: "", BRIDGES: ["bridges_netdev.json", "bridges_port_error.json"]})
    ret = state.bridge("br-provider", datapath_type="netdev", ports=["eth2", "eth9"])
    # The port is in the database, and ovs-vswitchd cannot open it.
    assert ret["result"] is False
    assert ret["comment"] == (
        "bridge br-provider: port eth9: interface eth9: "
        "could not open network device eth9 (No such device)"
    )
    assert ret["changes"] == {
        "ports": {
            "old": ["eth2", "patch-provnet-1"],
            "new": ["eth2", "eth9", "patch-provnet-1"],
        }
    }


def test_bridge_port_error_fails_every_run(state, fake):
    fake.answer({BRIDGES: "bridges_port_error.json"})
    ret = state.bridge("br-provider", datapath_type="netdev", ports=["eth9"])
    assert ret["result"] is False
    assert ret["changes"] == {}
    assert "could not open network device eth9" in ret["comment"]
    assert fake.writes() == []


@pytest.mark.parametrize("test", [True, False])
def test_bridge_bad_arguments(state, fake, opts, test):
    opts["test"] = test
    ret = state.bridge("br-provider", datapath_type="dpdk")
    assert ret["result"] is False
    assert ret["comment"] == "datapath_type must be one of system, netdev, not 'dpdk'"
    ret = state.bridge("br-provider", datapath_type=None)
    assert ret["result"] is False
    ret = state.bridge("br-provider", ports="eth2")
    assert ret["comment"] == "ports must be a list of network device names"
    assert fake.calls == []
