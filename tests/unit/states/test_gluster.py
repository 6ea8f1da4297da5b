"""
The gluster state module over the real execution module, whose
``cmd.run_all`` answers with output captured from a real glusterd 10.3
(tests/unit/gluster_xml). Each test checks the state's return and which
gluster command lines ran: under test=True and on every refusal, none that
changes anything.
"""

from unittest.mock import patch

import pytest

from tests.support.gluster import DISTREP_BRICKS, VM_BRICKS, XML

FUNCTIONS = (
    "peer_status",
    "peer_probe",
    "list_volumes",
    "volume_info",
    "volume_create",
    "volume_start",
    "volume_stop",
    "set_options",
    "get_options",
    "group_options",
    "normalize_bricks",
    "option_value",
    "option_equal",
)
VIRT = {"performance.strict-o-direct": "on", "network.remote-dio": "disable"}


@pytest.fixture
def state(extension):
    return extension("_states", "gluster")


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def configure_loader_modules(gluster, state, fake, opts):
    return {
        gluster: {
            "__salt__": {"cmd.run_all": fake},
            "__opts__": {"gluster.groups_dir": str(XML / "groups")},
        },
        state: {
            "__salt__": {f"gluster.{name}": getattr(gluster, name) for name in FUNCTIONS},
            "__opts__": opts,
            "__grains__": {"id": "controller", "host": "controller", "fqdn": "controller.lan"},
        },
    }


def vm_exists(fake, info="volume_info_started_options.xml"):
    fake.answer(
        {
            "volume list": "volume_list_2.xml",
            "volume info vm-instances": info,
            "volume get vm-instances all": "volume_get_all.xml",
        }
    )


def mutating(fake):
    return [" ".join(call) for call in fake.mutating_calls()]


# --------------------------------------------------------------------------- peered


def test_peered_known_peer_is_left_alone(state, fake):
    fake.answer({"peer status": "peer_status_2.xml"})
    ret = state.peered("compute2")
    assert ret == {
        "name": "compute2",
        "result": True,
        "comment": "compute2 is already a peer (Peer in Cluster, connected)",
        "changes": {},
    }
    assert fake.calls == [("peer", "status")]


def test_peered_probes_a_new_peer(state, fake):
    fake.answer({"peer status": "peer_status_0.xml", "peer probe compute2": "peer_probe.xml"})
    ret = state.peered("compute2")
    assert ret["result"] is True
    assert ret["changes"] == {"peer": {"old": None, "new": "compute2"}}
    assert mutating(fake) == ["peer probe compute2"]


def test_peered_test_mode_probes_nothing(state, fake, opts):
    opts["test"] = True
    fake.answer({"peer status": "peer_status_0.xml"})
    ret = state.peered("compute2.invalid")
    assert ret["result"] is None
    assert ret["changes"] == {"peer": {"old": None, "new": "compute2.invalid"}}
    assert mutating(fake) == []
    # This node itself needs no probe, in test mode too.
    ret = state.peered("controller")
    assert (ret["result"], ret["changes"]) == (True, {})


def test_peered_localhost_is_no_change(state, fake):
    fake.answer(
        {"peer status": "peer_status_0.xml", "peer probe localhost": "peer_probe_localhost.xml"}
    )
    ret = state.peered("localhost")
    assert (ret["result"], ret["changes"]) == (True, {})
    assert "Probe on localhost not needed" in ret["comment"]


def test_peered_failure_carries_glusters_message(state, fake):
    fake.answer(
        {"peer status": "peer_status_0.xml", "peer probe 10.123.0.9": "peer_probe_unreachable.xml"}
    )
    ret = state.peered("10.123.0.9")
    assert ret["result"] is False
    assert "Probe returned with Transport endpoint is not connected" in ret["comment"]
    assert ret["changes"] == {}


def test_peered_rejected_peer_needs_an_operator(state, fake, tmp_path):
    # Derived from the real capture: compute3 as glusterd shows a rejected peer.
    text = (XML / "peer_status_2.xml").read_text()
    head, sep, tail = text.partition("<hostname>compute3</hostname>")
    tail = tail.replace("<state>3</state>", "<state>6</state>", 1)
    tail = tail.replace("Peer in Cluster", "Peer Rejected", 1)
    (tmp_path / "rejected.xml").write_text(head + sep + tail)
    fake.answer({"peer status": str(tmp_path / "rejected.xml")})
    ret = state.peered("compute3")
    assert ret["result"] is False
    assert "Peer Rejected" in ret["comment"]
    assert mutating(fake) == []


# -------------------------------------------------------------------- volume_present: create


def create_answers(fake):
    fake.answer(
        {
            "volume list": "volume_list_empty.xml",
            ("volume", "create", "vm-instances", "replica", "3", *VM_BRICKS): "volume_create.xml",
            "volume info vm-instances": "volume_info_created.xml",
            "volume start vm-instances": "volume_start.xml",
            "volume get vm-instances all": "volume_get_all.xml",
            "volume set vm-instances network.ping-timeout 10": "volume_set.xml",
        }
    )


def test_absent_volume_is_created_started_and_configured(state, fake):
    create_answers(fake)
    options = {**VIRT, "network.ping-timeout": 10}
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3, options=options)
    assert ret["result"] is True, ret["comment"]
    assert ret["changes"] == {
        "volume": {
            "old": None,
            "new": {"bricks": VM_BRICKS, "replica": 3, "transport": "tcp"},
        },
        "status": {"old": "Created", "new": "Started"},
        # Only what differs is set (the capture has the virt group's values).
        "options": {"old": {"network.ping-timeout": "20"}, "new": {"network.ping-timeout": "10"}},
    }
    assert mutating(fake) == [
        "volume create vm-instances replica 3 " + " ".join(VM_BRICKS),
        "volume start vm-instances",
        "volume set vm-instances network.ping-timeout 10",
    ]


def test_create_keeps_the_brick_order_given(state, fake):
    bricks = [VM_BRICKS[2], VM_BRICKS[0], VM_BRICKS[1]]
    fake.answer(
        {
            "volume list": "volume_list_empty.xml",
            ("volume", "create", "vm-instances", "replica", "3", *bricks, "force"): (
                "volume_create.xml"
            ),
            "volume info vm-instances": "volume_info_created.xml",
        }
    )
    ret = state.volume_present("vm-instances", bricks, replica=3, start=False, force=True)
    assert ret["result"] is True
    assert set(ret["changes"]) == {"volume"}
    assert mutating(fake) == ["volume create vm-instances replica 3 " + " ".join(bricks) + " force"]


def test_absent_volume_in_test_mode(state, fake, opts):
    opts["test"] = True
    create_answers(fake)
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3, options=VIRT)
    assert ret["result"] is None
    assert ret["comment"] == "Volume vm-instances would be created"
    assert ret["changes"]["status"] == {"old": None, "new": "Started"}
    assert ret["changes"]["options"] == {"old": {}, "new": VIRT}
    assert mutating(fake) == []


def test_create_failure_carries_glusters_message(state, fake):
    fake.answer(
        {
            "volume list": "volume_list_empty.xml",
            ("volume", "create", "vm-instances", "replica", "3", *VM_BRICKS): (
                "volume_create_brick_in_use.xml"
            ),
        }
    )
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3)
    assert ret["result"] is False
    assert "Brick may be containing or be contained by an existing brick" in ret["comment"]
    assert ret["changes"] == {}


@pytest.mark.parametrize(
    ("bricks", "replica", "message"),
    [
        (VM_BRICKS[:2], 3, "2 bricks are not a multiple of replica 3"),
        (VM_BRICKS, 1, "replica must be 2 or more"),
        (["compute1"], None, "host:/absolute/path"),
    ],
)
def test_invalid_arguments_call_nothing(state, fake, bricks, replica, message):
    ret = state.volume_present("vm-instances", bricks, replica=replica)
    assert ret["result"] is False
    assert message in ret["comment"]
    assert fake.calls == []


# ------------------------------------------------------------------ volume_present: existing


@pytest.mark.parametrize("test", [False, True])
def test_existing_volume_as_requested_is_no_change(state, fake, opts, test):
    opts["test"] = test
    vm_exists(fake)
    # The virt group (the package's file) and user.cifs, which only `volume info` shows.
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3, options={"group": "virt"})
    assert ret["result"] is True, ret["comment"]
    assert ret["changes"] == {}
    assert ret["comment"] == "Volume vm-instances is as requested"
    assert mutating(fake) == []


def test_order_inside_a_replica_set_is_no_change(state, fake):
    vm_exists(fake)
    ret = state.volume_present("vm-instances", VM_BRICKS[::-1], replica=3)
    assert (ret["result"], ret["changes"]) == (True, {})


def test_boolean_spellings_are_no_change(state, fake):
    vm_exists(fake)
    options = {"performance.strict-o-direct": True, "network.remote-dio": "off"}
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3, options=options)
    assert (ret["result"], ret["changes"]) == (True, {})


def test_option_drift_test_mode_then_fix(state, fake, opts):
    vm_exists(fake)
    fake.answer({"volume set vm-instances performance.strict-o-direct off": "volume_set.xml"})
    options = {"performance.strict-o-direct": "off"}
    change = {"options": {"old": {"performance.strict-o-direct": "on"}, "new": options}}
    opts["test"] = True
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3, options=options)
    assert (ret["result"], ret["changes"]) == (None, change)
    assert mutating(fake) == []
    opts["test"] = False
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3, options=options)
    assert (ret["result"], ret["changes"]) == (True, change)
    assert mutating(fake) == ["volume set vm-instances performance.strict-o-direct off"]


HOST_MAP = "192.168.0.1,192.168.0.2,192.168.0.3,192.168.0.4,192.168.0.5"


def _auth_allow_is(tmp_path, value):
    """volume get ... all as glusterd answers it once auth.allow is set
    (derived from the real capture, whose value is the default, *)."""
    text = (XML / "volume_get_all.xml").read_text()
    head, sep, tail = text.partition("<Option>auth.allow</Option>")
    tail = tail.replace("<Value>*</Value>", f"<Value>{value}</Value>", 1)
    path = tmp_path / "volume_get_all_auth.xml"
    path.write_text(head + sep + tail)
    return str(path)


def test_auth_allow_replaces_the_default_everyone(state, fake, opts):
    vm_exists(fake)
    fake.answer({f"volume set vm-instances auth.allow {HOST_MAP}": "volume_set.xml"})
    options = {"auth.allow": HOST_MAP}
    change = {"options": {"old": {"auth.allow": "*"}, "new": options}}
    opts["test"] = True
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3, options=options)
    assert (ret["result"], ret["changes"]) == (None, change)
    assert mutating(fake) == []
    opts["test"] = False
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3, options=options)
    assert (ret["result"], ret["changes"]) == (True, change)
    assert mutating(fake) == [f"volume set vm-instances auth.allow {HOST_MAP}"]


def test_auth_allow_in_another_order_is_no_change(state, fake, tmp_path):
    vm_exists(fake)
    fake.answer({"volume get vm-instances all": _auth_allow_is(tmp_path, HOST_MAP)})
    shuffled = ", ".join(reversed(HOST_MAP.split(",")))
    ret = state.volume_present(
        "vm-instances", VM_BRICKS, replica=3, options={"auth.allow": shuffled}
    )
    assert (ret["result"], ret["changes"]) == (True, {})
    assert mutating(fake) == []


def test_auth_allow_follows_a_changed_host_map(state, fake, tmp_path):
    """A host added to the map: the list is set again; the volume stays."""
    vm_exists(fake)
    grown = HOST_MAP + ",192.168.0.6"
    fake.answer(
        {
            "volume get vm-instances all": _auth_allow_is(tmp_path, HOST_MAP),
            f"volume set vm-instances auth.allow {grown}": "volume_set.xml",
        }
    )
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3, options={"auth.allow": grown})
    assert ret["result"] is True, ret["comment"]
    assert ret["changes"] == {
        "options": {"old": {"auth.allow": HOST_MAP}, "new": {"auth.allow": grown}}
    }
    assert mutating(fake) == [f"volume set vm-instances auth.allow {grown}"]


def test_option_error_carries_glusters_message(state, fake):
    vm_exists(fake)
    fake.answer({"volume set vm-instances no.such-option on": "volume_set_bad_key.xml"})
    ret = state.volume_present(
        "vm-instances", VM_BRICKS, replica=3, options={"no.such-option": True}
    )
    assert ret["result"] is False
    assert "no.such-option does not exist" in ret["comment"]


def test_stopped_volume_is_started(state, fake, opts):
    fake.answer(
        {
            "volume list": "volume_list_2.xml",
            "volume info dist-rep": "volume_info_stopped.xml",
            "volume start dist-rep": "volume_start_distrep.xml",
        }
    )
    opts["test"] = True
    ret = state.volume_present("dist-rep", DISTREP_BRICKS, replica=3)
    assert ret["result"] is None
    assert ret["changes"] == {"status": {"old": "Stopped", "new": "Started"}}
    assert mutating(fake) == []
    opts["test"] = False
    ret = state.volume_present("dist-rep", DISTREP_BRICKS, replica=3)
    assert ret["result"] is True
    assert ret["changes"] == {"status": {"old": "Stopped", "new": "Started"}}
    assert mutating(fake) == ["volume start dist-rep"]
    # start=False leaves a stopped volume stopped (and never stops a started one).
    ret = state.volume_present("dist-rep", DISTREP_BRICKS, replica=3, start=False)
    assert (ret["result"], ret["changes"]) == (True, {})


# --------------------------------------------------------------------------- refusals

NEW = ["compute4:/export/gluster", "compute5:/export/gluster", "compute6:/export/gluster"]
D = DISTREP_BRICKS


@pytest.mark.parametrize(
    ("volume", "bricks", "replica", "options", "expected"),
    [
        pytest.param(
            "vm-instances",
            VM_BRICKS,
            None,
            None,
            ["replica count would shrink from 3 to 1", "remove-brick vm-instances replica 1"],
            id="shrink-replica",
        ),
        pytest.param(
            "dist-rep",
            D[:3],
            3,
            None,
            [f"brick(s) {', '.join(D[3:])} hold data of volume dist-rep", "would lose data"],
            id="drop-bricks",
        ),
        pytest.param(
            "vm-instances",
            [*VM_BRICKS[:2], NEW[0]],
            3,
            None,
            [f"brick(s) {VM_BRICKS[2]} hold data", "re-creating the volume"],
            id="different-bricks",
        ),
        pytest.param(
            "vm-instances",
            VM_BRICKS + NEW,
            3,
            None,
            [
                f"gluster volume add-brick vm-instances {' '.join(NEW)}",
                "gluster volume rebalance vm-instances start",
            ],
            id="grow-distribute",
        ),
        pytest.param(
            "vm-instances",
            VM_BRICKS + [NEW[0]],
            4,
            None,
            [f"gluster volume add-brick vm-instances replica 4 {NEW[0]}"],
            id="grow-replica",
        ),
        pytest.param(
            "dist-rep",
            [D[0], D[1], D[3], D[2], D[4], D[5]],
            3,
            None,
            ["different replica sets"],
            id="regroup-replica-sets",
        ),
        pytest.param(
            "dist-rep",
            D[:4],
            2,
            None,
            ["shrink from 3 to 2", "hold data"],
            id="shrink-and-drop",
        ),
        pytest.param(
            "vm-instances",
            VM_BRICKS,
            3,
            {"features.shard": "off"},
            ["features.shard is on and would become off", "unreadable"],
            id="unshard",
        ),
    ],
)
@pytest.mark.parametrize("test", [False, True])
def test_refusals_change_nothing(  # noqa: PLR0917
    state, fake, opts, test, volume, bricks, replica, options, expected
):
    opts["test"] = test
    vm_exists(fake)
    fake.answer({"volume info dist-rep": "volume_info_distrep.xml"})
    ret = state.volume_present(volume, bricks, replica=replica, options=options)
    assert ret["result"] is False
    assert ret["changes"] == {}
    assert ret["comment"].startswith(f"Refusing to change volume {volume}: ")
    for words in expected:
        assert words in ret["comment"]
    assert mutating(fake) == []


def test_other_transport_is_refused(state, fake):
    vm_exists(fake)
    ret = state.volume_present("vm-instances", VM_BRICKS, replica=3, transport="rdma")
    assert ret["result"] is False
    assert "transport tcp, not rdma" in ret["comment"]
    assert mutating(fake) == []


# ------------------------------------------------------------ volume_started, option_present


def test_volume_started(state, fake, opts):
    fake.answer(
        {
            "volume list": "volume_list_2.xml",
            "volume info vm-instances": "volume_info_started.xml",
            "volume info dist-rep": "volume_info_stopped.xml",
            "volume start dist-rep": "volume_start_distrep.xml",
        }
    )
    assert state.volume_started("vm-instances")["changes"] == {}
    assert state.volume_started("nosuch")["result"] is False
    opts["test"] = True
    ret = state.volume_started("dist-rep")
    assert (ret["result"], mutating(fake)) == (None, [])
    opts["test"] = False
    ret = state.volume_started("dist-rep")
    assert ret["changes"] == {"status": {"old": "Stopped", "new": "Started"}}
    assert mutating(fake) == ["volume start dist-rep"]


def test_option_present(state, fake, opts):
    vm_exists(fake)
    fake.answer({"volume set vm-instances network.ping-timeout 10": "volume_set.xml"})
    ret = state.option_present("vm-instances", "network.ping-timeout", "20")
    assert (ret["result"], ret["changes"]) == (True, {})
    opts["test"] = True
    ret = state.option_present("vm-instances", "network.ping-timeout", 10)
    assert ret["result"] is None
    assert mutating(fake) == []
    opts["test"] = False
    ret = state.option_present("vm-instances", "network.ping-timeout", 10)
    assert ret["changes"] == {
        "options": {"old": {"network.ping-timeout": "20"}, "new": {"network.ping-timeout": "10"}}
    }
    assert mutating(fake) == ["volume set vm-instances network.ping-timeout 10"]
    assert state.option_present("nosuch", "a.b", 1)["result"] is False


def test_state_module_unavailable_without_the_execution_module(state):
    assert state.__virtual__() == "gluster"
    with patch.object(state, "__salt__", {}):
        assert state.__virtual__()[0] is False
