"""
The ovn execution module and its decoder (_utils/ovsdb_json.py) on output
recorded from real ovsdb-server/ovs-vswitchd processes (tests/unit/ovn_json,
see its README and record.sh): only ``cmd.run_all`` is replaced, by a
stand-in that answers each command line with its recording and keeps the
command lines it was given.
"""

from unittest.mock import patch

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support.paths import DATA

OVN_JSON = DATA / "ovn_json"
REMOTES = {
    "ovs-vsctl": "unix:/var/run/openvswitch/db.sock",
    "ovn-nbctl": "unix:/var/run/ovn/ovnnb_db.sock",
    "ovn-sbctl": "unix:/var/run/ovn/ovnsb_db.sock",
}
IDS = "ovs-vsctl --format=json --columns=external_ids list Open_vSwitch"
BRIDGES = (
    "ovs-vsctl --format=json --columns=_uuid,name,datapath_type,ports,external_ids list Bridge"
    " -- --columns=_uuid,name,interfaces list Port"
    " -- --columns=_uuid,name,type,ofport,error list Interface"
)
NB_CONN = "ovn-nbctl --format=json list NB_Global -- list Connection"
SB_CONN = "ovn-sbctl --format=json list SB_Global -- list Connection"
CHASSIS = "ovn-sbctl --format=json list Chassis -- list Encap"


class FakeCtl:
    """
    ``cmd.run_all`` for ``<tool> --db=<remote> --timeout=<s> ARGS``:
    ``answers`` maps "tool ARGS" (a string split on spaces, or a tuple) to a
    recording's file name, ``""`` (no output), or ``(file.stderr, exit code)``;
    a list of those is answered in turn (the last one repeats).
    """

    def __init__(self, remotes=None, timeout=30):
        self.answers = {}
        self.calls = []
        self.remotes = remotes or REMOTES
        self.timeout = timeout

    def answer(self, answers):
        for args, reply in answers.items():
            key = tuple(args.split()) if isinstance(args, str) else tuple(args)
            self.answers[key] = list(reply) if isinstance(reply, list) else [reply]

    def __call__(self, cmd, **kwargs):
        assert kwargs.get("python_shell") is False
        tool, db, timeout, *args = cmd
        assert db == f"--db={self.remotes[tool]}", cmd
        assert timeout == f"--timeout={self.timeout}", cmd
        key = (tool, *args)
        self.calls.append(" ".join(key))
        if key not in self.answers:
            raise AssertionError(f"unexpected command: {' '.join(key)}")
        replies = self.answers[key]
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(reply, tuple):
            name, retcode = reply
            return {"retcode": retcode, "stdout": "", "stderr": (OVN_JSON / name).read_text()}
        stdout = (OVN_JSON / reply).read_text() if reply else ""
        return {"retcode": 0, "stdout": stdout, "stderr": ""}

    def writes(self):
        reads = (" list ", "--format=json")
        return [call for call in self.calls if not any(r in call for r in reads)]


@pytest.fixture
def ovn(extension):
    return extension("_modules", "ovn")


@pytest.fixture
def api(extension):
    return extension("_utils", "ovsdb_json")


@pytest.fixture
def fake():
    return FakeCtl()


@pytest.fixture
def configure_loader_modules(ovn, fake):
    return {ovn: {"__salt__": {"cmd.run_all": fake}, "__opts__": {}}}


# --------------------------------------------------------------------------- decoder


def test_decode_values(api):
    assert api.decode(["uuid", "b8e7"]) == "b8e7"
    assert api.decode(["set", [["uuid", "a"], ["uuid", "b"]]]) == ["a", "b"]
    assert api.decode(["map", [["k", "v"], ["n", 1]]]) == {"k": "v", "n": 1}
    assert api.decode(["set", []]) == []
    assert api.decode("") == ""
    assert api.decode(False) is False
    with pytest.raises(ValueError, match="not an OVSDB JSON value"):
        api.decode(["bogus", 1, 2])


def test_as_list_and_as_scalar(api):
    # A set of one is printed as the bare atom (nb_connection.json's connections).
    assert api.as_list("u1") == ["u1"]
    assert api.as_list([]) == []
    assert api.as_scalar([]) is None
    assert api.as_scalar("could not open") == "could not open"
    assert api.as_scalar(-1) == -1
    with pytest.raises(ValueError, match="2 values"):
        api.as_scalar([1, 2])


def test_tables_reads_one_table_per_command(api):
    text = (OVN_JSON / "sb_connection_two.json").read_text()
    globals_, connections = api.tables(text)
    assert len(globals_) == 1
    assert sorted(globals_[0]["connections"]) == sorted(c["_uuid"] for c in connections)
    assert {c["target"] for c in connections} == {"ptcp:6642:192.168.0.5", "ptcp:6642:127.0.0.1"}
    assert connections[0]["read_only"] is False


def test_tables_refuses_other_text(api):
    with pytest.raises(CommandExecutionError, match="ovs-vsctl show: output is not OVSDB"):
        api.tables("Bridge br-int\n", "ovs-vsctl show")
    assert api.tables("") == []


def test_quote_makes_any_string_one_ovsdb_string(api):
    assert api.quote("enable-chassis-as-gw,availability-zones=az1") == (
        '"enable-chassis-as-gw,availability-zones=az1"'
    )
    assert api.quote('a "b"') == '"a \\"b\\""'


# --------------------------------------------------------------------------- plumbing


def test_virtual_needs_a_client(ovn):
    with patch("salt.utils.path.which", return_value=None):
        ok, reason = ovn.__virtual__()
    assert ok is False
    assert "ovs-vsctl" in reason
    with patch("salt.utils.path.which", return_value="/usr/bin/ovs-vsctl"):
        assert ovn.__virtual__() == "ovn"


def test_every_public_function_documents_a_cli_example(ovn):
    public = [
        name
        for name in dir(ovn)
        if not name.startswith("_") and callable(getattr(ovn, name))
        if getattr(getattr(ovn, name), "__module__", None) == ovn.__name__
    ]
    assert {"get_connection", "chassis", "add_bridge", "set_ovs_external_ids"} <= set(public)
    for name in public:
        assert "CLI Example:" in getattr(ovn, name).__doc__, name


def test_remote_from_argument_then_option(ovn, fake):
    fake.remotes = {"ovn-nbctl": "tcp:192.168.0.5:6641"}
    fake.answer({NB_CONN: "nb_connection.json"})
    assert ovn.get_connection("nb", remote="tcp:192.168.0.5:6641") == ["ptcp:6641:192.168.0.5"]
    fake.timeout = 5
    with patch.dict(ovn.__opts__, {"ovn.nb_remote": "tcp:192.168.0.5:6641", "ovn.timeout": 5}):
        assert ovn.get_connection("nb") == ["ptcp:6641:192.168.0.5"]
    with pytest.raises(SaltInvocationError, match="remote '/run/ovn.sock' is not an OVSDB"):
        ovn.get_connection("nb", remote="/run/ovn.sock")


def test_failure_names_the_command_and_its_stderr(ovn, fake):
    fake.answer({NB_CONN: ("nb_no_server.stderr", 1)})
    with pytest.raises(CommandExecutionError) as exc:
        ovn.get_connection("nb")
    message = str(exc.value)
    assert message.startswith(
        "ovn-nbctl --db=unix:/var/run/ovn/ovnnb_db.sock --timeout=30 --format=json list NB_Global"
    )
    assert "(exit code 1): ovn-nbctl: unix:" in message
    assert "database connection failed (No such file or directory)" in message
    assert exc.value.info["retcode"] == 1


def test_timeout_says_what_it_may_mean(ovn, fake):
    # ovs-vsctl before `ovs-vsctl init` waits for the row, then dies of SIGALRM.
    fake.answer({IDS: ("ovs_no_row_timeout.stderr", 142)})
    with pytest.raises(CommandExecutionError, match=r"no answer within 30 s .*ovs-vsctl init"):
        ovn.ovs_external_ids()


# --------------------------------------------------------------------------- connections


def test_get_connection(ovn, fake):
    fake.answer({NB_CONN: "nb_connection_none.json", SB_CONN: "sb_connection_two.json"})
    assert ovn.get_connection("nb") == []
    assert ovn.get_connection("sb") == ["ptcp:6642:127.0.0.1", "ptcp:6642:192.168.0.5"]


def test_get_connection_checks_db(ovn, fake):
    with pytest.raises(SaltInvocationError, match="db must be one of nb, sb, not 'ovs'"):
        ovn.get_connection("ovs")
    assert fake.calls == []


def test_set_connection_sorted_and_read_back(ovn, fake):
    fake.answer(
        {
            "ovn-sbctl set-connection ptcp:6642:127.0.0.1 ptcp:6642:192.168.0.5": "",
            SB_CONN: "sb_connection_two.json",
        }
    )
    new = ovn.set_connection("sb", ["ptcp:6642:192.168.0.5", "ptcp:6642:127.0.0.1"])
    assert new == ["ptcp:6642:127.0.0.1", "ptcp:6642:192.168.0.5"]
    assert fake.writes() == ["ovn-sbctl set-connection ptcp:6642:127.0.0.1 ptcp:6642:192.168.0.5"]


def test_set_connection_empty_deletes(ovn, fake):
    fake.answer({"ovn-nbctl del-connection": "", NB_CONN: "nb_connection_none.json"})
    assert ovn.set_connection("nb", []) == []
    assert fake.writes() == ["ovn-nbctl del-connection"]


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ("nonsense", "targets: 'nonsense' is not an OVSDB remote"),
        (["ptcp:6641", "ptcp:6641"], "targets: a target is given twice"),
        ({"ptcp:6641": 1}, "targets must be a list"),
        (["6641"], "targets: '6641' is not an OVSDB remote"),
    ],
)
def test_set_connection_refuses_bad_targets(ovn, fake, targets, message):
    # ovn-nbctl itself only warns about "nonsense" (exit code 0).
    with pytest.raises(SaltInvocationError, match=message):
        ovn.set_connection("nb", targets)
    assert fake.calls == []


# --------------------------------------------------------------------------- chassis


def test_chassis(ovn, fake):
    fake.answer({CHASSIS: "sb_chassis.json"})
    found = ovn.chassis()
    assert [c["name"] for c in found] == ["compute1", "compute2"]
    assert found[0] == {
        "name": "compute1",
        "hostname": "compute1",
        "encaps": [{"type": "geneve", "ip": "192.168.0.11", "options": {"csum": "true"}}],
        "other_config": {
            "datapath-type": "netdev",
            "iface-types": "geneve,patch,tap,vxlan",
            "ovn-bridge-mappings": "provider:br-provider",
            "ovn-cms-options": "enable-chassis-as-gw",
        },
        "external_ids": {"neutron:ovn-metadata-id": "7f4b5c1e-6a59-4f0b-9c53-2a3cbb1f6d10"},
    }
    assert [(e["type"], e["ip"]) for e in found[1]["encaps"]] == [
        ("geneve", "192.168.0.12"),
        ("vxlan", "192.168.0.12"),
    ]
    assert ovn.chassis("compute2")["other_config"] == {
        "ovn-bridge-mappings": "provider:br-provider"
    }
    assert ovn.chassis("compute9") is None


def test_no_chassis(ovn, fake):
    fake.answer({CHASSIS: "sb_chassis_none.json"})
    assert ovn.chassis() == []


# --------------------------------------------------------------------------- external_ids


def test_ovs_external_ids(ovn, fake):
    fake.answer({IDS: ["ovs_ids_empty.json", "ovs_ids_chassis.json"]})
    assert ovn.ovs_external_ids() == {}
    assert ovn.ovs_external_ids() == {
        "hostname": "compute1",
        "ovn-bridge-mappings": "provider:br-provider",
        "ovn-cms-options": "enable-chassis-as-gw,availability-zones=az1",
        "ovn-encap-ip": "192.168.0.11",
        "ovn-encap-type": "geneve",
        "ovn-remote": "tcp:192.168.0.5:6642",
        "system-id": "compute1",
    }


def test_set_ovs_external_ids_sets_and_removes_only_the_given_keys(ovn, fake):
    write = (
        "ovs-vsctl",
        "--no-wait",
        "remove",
        "Open_vSwitch",
        ".",
        "external_ids",
        '"ovn-cms-options"',
        "--",
        "set",
        "Open_vSwitch",
        ".",
        'external_ids:"ovn-encap-ip"="192.168.0.12"',
    )
    fake.answer({write: "", IDS: "ovs_ids_changed.json"})
    new = ovn.set_ovs_external_ids({"ovn-encap-ip": "192.168.0.12", "ovn-cms-options": None})
    assert new["ovn-encap-ip"] == "192.168.0.12"
    assert "ovn-cms-options" not in new
    assert new["ovn-remote"] == "tcp:192.168.0.5:6642"
    assert fake.writes() == [" ".join(write)]


def test_normalize_ids(ovn):
    assert ovn.normalize_ids({"ovn-monitor-all": True, "probe": 60000, "x": None}) == {
        "ovn-monitor-all": "true",
        "probe": "60000",
        "x": None,
    }
    with pytest.raises(SaltInvocationError, match="ids: value of hostname must be a string"):
        ovn.normalize_ids({"hostname": ["a"]})
    with pytest.raises(SaltInvocationError, match="ids: key '' is not a non-empty string"):
        ovn.normalize_ids({"": "a"})
    with pytest.raises(SaltInvocationError, match="ids must be a dict"):
        ovn.normalize_ids("hostname=a")
    with pytest.raises(SaltInvocationError, match="ids must name at least one key"):
        ovn.set_ovs_external_ids({})


# --------------------------------------------------------------------------- bridges


def test_bridges_none(ovn, fake):
    fake.answer({BRIDGES: "bridges_none.json"})
    assert ovn.bridges() == {}
    assert ovn.bridge("br-provider") is None
    assert ovn.bridge_datapath("br-provider") is None


def test_bridge_netdev(ovn, fake):
    fake.answer({BRIDGES: "bridges_netdev.json"})
    found = ovn.bridge("br-provider")
    assert found["datapath_type"] == "netdev"
    # The bridge's own internal port is not listed.
    assert found["ports"] == ["eth2", "patch-provnet-1"]
    assert found["interfaces"] == {
        "eth2": {"port": "eth2", "type": "system", "ofport": 1, "error": None},
        "patch-provnet-1": {
            "port": "patch-provnet-1",
            "type": "patch",
            "ofport": 2,
            "error": "No usable peer 'patch-br-int-1' exists in 'netdev' datapath.",
        },
    }
    assert ovn.port_errors(found, ["eth2"]) == []
    assert ovn.bridge_datapath("br-provider") == "netdev"


def test_bridge_written_but_not_applied(ovn, fake):
    # Rows written with --no-wait, no ovs-vswitchd: empty datapath_type, no ofport.
    fake.answer({BRIDGES: "bridges_system_unapplied.json"})
    found = ovn.bridge("br-provider")
    assert found["datapath_type"] == "system"
    assert found["interfaces"]["eth2"] == {
        "port": "eth2",
        "type": "system",
        "ofport": None,
        "error": None,
    }


def test_add_bridge_one_transaction(ovn, fake):
    write = (
        "ovs-vsctl --may-exist add-br br-provider -- set Bridge br-provider datapath_type=netdev"
        " -- --may-exist add-port br-provider eth2"
    )
    fake.answer({write: "", BRIDGES: "bridges_netdev.json"})
    found = ovn.add_bridge("br-provider", datapath_type="netdev", ports=["eth2"])
    assert found["ports"] == ["eth2", "patch-provnet-1"]
    assert fake.writes() == [write]


def test_add_bridge_raises_on_a_port_vswitchd_cannot_open(ovn, fake):
    # ovs-vsctl exits 0 and only warns; the Interface row has the error.
    write = "ovs-vsctl --may-exist add-br br-provider -- --may-exist add-port br-provider eth9"
    fake.answer({write: "", BRIDGES: "bridges_port_error.json"})
    with pytest.raises(CommandExecutionError) as exc:
        ovn.add_bridge("br-provider", ports=["eth9"])
    assert str(exc.value) == (
        "bridge br-provider: port eth9: interface eth9: "
        "could not open network device eth9 (No such device)"
    )


def test_add_bridge_port_of_another_bridge(ovn, fake):
    write = "ovs-vsctl --may-exist add-br br-other -- --may-exist add-port br-other eth2"
    fake.answer({write: ("add_port_other_bridge.stderr", 1)})
    with pytest.raises(
        CommandExecutionError, match="eth2 is actually attached to bridge br-provider"
    ):
        ovn.add_bridge("br-other", ports=["eth2"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "br-provider-too-long"}, "name 'br-provider-too-long' is not a network device"),
        ({"name": "br0", "datapath_type": "dpdk"}, "datapath_type must be one of system, netdev"),
        ({"name": "br0", "ports": "eth2"}, "ports must be a list"),
        ({"name": "br0", "ports": ["eth2", "eth2"]}, "ports: a port is given twice"),
        ({"name": "br0", "ports": ["br0"]}, "ports: br0 is the bridge's own internal port"),
        ({"name": "br0", "ports": ["eth 2"]}, "ports: port 'eth 2' is not a network device"),
    ],
)
def test_add_bridge_refuses_bad_arguments(ovn, fake, kwargs, message):
    with pytest.raises(SaltInvocationError, match=message):
        ovn.add_bridge(**kwargs)
    assert fake.calls == []


def test_port_errors_names_a_missing_port(ovn, fake):
    fake.answer({BRIDGES: "bridges_port_error.json"})
    found = ovn.bridge("br-provider")
    assert ovn.port_errors(found, ["eth2", "eth3", "eth9"]) == [
        "port eth3: not on the bridge",
        "port eth9: interface eth9: could not open network device eth9 (No such device)",
    ]
