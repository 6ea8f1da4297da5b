"""
The gluster execution module on output captured from a real glusterd 10.3
(tests/unit/gluster_xml, see its README): only ``cmd.run_all`` is replaced,
by a stand-in that answers each gluster command line with its capture and
records the command lines it was given.
"""

import itertools
import random
from unittest.mock import patch

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support.gluster import DISTREP_BRICKS, VM_BRICKS, B


@pytest.fixture
def configure_loader_modules(gluster, fake, tmp_path):
    return {
        gluster: {
            "__salt__": {"cmd.run_all": fake},
            "__opts__": {"gluster.groups_dir": str(tmp_path / "groups")},
        }
    }


# --------------------------------------------------------------------------- plumbing


def test_virtual_needs_the_gluster_binary(gluster):
    with patch("salt.utils.path.which", return_value=None):
        ok, reason = gluster.__virtual__()
    assert ok is False
    assert "gluster binary" in reason
    with patch("salt.utils.path.which", return_value="/usr/sbin/gluster"):
        assert gluster.__virtual__() == "gluster"


def test_every_public_function_documents_a_cli_example(gluster):
    public = [
        name
        for name in dir(gluster)
        if not name.startswith("_") and callable(getattr(gluster, name))
        if getattr(getattr(gluster, name), "__module__", None) == gluster.__name__
    ]
    assert "peer_status" in public
    assert "order_bricks" in public
    for name in public:
        assert "CLI Example:" in getattr(gluster, name).__doc__, name


def test_no_xml_at_all_raises_with_the_cli_text(gluster, fake):
    # The CLI with no glusterd to talk to prints plain text and exits 1.
    fake.answer({"peer status": ("no_glusterd.txt", 1)})
    with pytest.raises(CommandExecutionError, match="Connection failed. Please check if gluster"):
        gluster.peer_status()


def test_failure_reported_with_exit_code_0_still_raises(gluster, fake):
    # gluster exits 0 although opRet is -1: opRet decides.
    fake.answer({"peer probe 10.123.0.9": "peer_probe_unreachable.xml"})
    with pytest.raises(CommandExecutionError) as exc:
        gluster.peer_probe("10.123.0.9")
    assert "Probe returned with Transport endpoint is not connected" in str(exc.value)
    assert "opErrno 107" in str(exc.value)
    assert exc.value.info["opErrno"] == "107"


# --------------------------------------------------------------------------- peers


def test_peer_status_without_peers(gluster, fake):
    fake.answer({"peer status": "peer_status_0.xml"})
    assert gluster.peer_status() == []


def test_peer_status_with_two_peers(gluster, fake):
    fake.answer({"peer status": "peer_status_2.xml"})
    assert gluster.peer_status() == [
        {
            "hostname": "compute2",
            "hostnames": ["compute2"],
            "uuid": "67e9f036-ae95-4cad-8ce4-0ea16d8cca54",
            "state": "Peer in Cluster",
            "state_id": 3,
            "connected": True,
        },
        {
            "hostname": "compute3",
            "hostnames": ["compute3"],
            "uuid": "6efed41d-4671-4282-8ad4-998dc75bc45a",
            "state": "Peer in Cluster",
            "state_id": 3,
            "connected": True,
        },
    ]


def test_peer_status_with_a_peer_down(gluster, fake):
    fake.answer({"peer status": "peer_status_disconnected.xml"})
    peers = {peer["hostname"]: peer for peer in gluster.peer_status()}
    assert peers["compute2"]["connected"] is True
    assert peers["compute3"]["connected"] is False
    assert peers["compute3"]["state"] == "Peer in Cluster"


@pytest.mark.parametrize(
    ("host", "capture", "probed", "message"),
    [
        ("compute2", "peer_probe.xml", True, "success"),
        ("compute2", "peer_probe_existing.xml", False, "already in peer list"),
        ("localhost", "peer_probe_localhost.xml", False, "Probe on localhost not needed"),
        ("compute1", "peer_probe_self_name.xml", False, "Probe on localhost not needed"),
    ],
)
def test_peer_probe_is_idempotent(gluster, fake, host, capture, probed, message):  # noqa: PLR0917
    fake.answer({f"peer probe {host}": capture})
    result = gluster.peer_probe(host)
    assert result["probed"] is probed
    assert message in result["message"]
    assert fake.calls == [("peer", "probe", host)]


def test_peer_probe_needs_a_host(gluster, fake):
    with pytest.raises(SaltInvocationError):
        gluster.peer_probe(" ")
    assert fake.calls == []


# --------------------------------------------------------------------------- volume info


def test_list_volumes(gluster, fake):
    fake.answer({"volume list": "volume_list_empty.xml"})
    assert gluster.list_volumes() == []
    fake.answer({"volume list": "volume_list.xml"})
    assert gluster.list_volumes() == ["vm-instances"]
    fake.answer({"volume list": "volume_list_2.xml"})
    assert gluster.list_volumes() == ["dist-rep", "vm-instances"]


def test_volume_info_replica_started(gluster, fake):
    fake.answer({"volume info vm-instances": "volume_info_started.xml"})
    info = gluster.volume_info("vm-instances")
    assert info["name"] == "vm-instances"
    assert info["id"] == "fadde6fc-4abe-4e31-adfc-5ca53a8a9126"
    assert info["status"] == "Started"
    assert info["type"] == "Replicate"
    assert info["replica_count"] == 3
    assert info["dist_count"] == 1
    assert info["brick_count"] == 3
    assert info["transport"] == "tcp"
    assert [b["name"] for b in info["bricks"]] == VM_BRICKS
    assert info["bricks"][1] == {
        "name": f"compute2:{B}/n2/vm",
        "host": "compute2",
        "path": f"{B}/n2/vm",
        "host_uuid": "67e9f036-ae95-4cad-8ce4-0ea16d8cca54",
        "arbiter": False,
    }
    assert info["options"] == {
        "cluster.granular-entry-heal": "on",
        "storage.fips-mode-rchecksum": "on",
        "transport.address-family": "inet",
        "nfs.disable": "on",
        "performance.client-io-threads": "off",
    }


def test_volume_info_created_not_started(gluster, fake):
    fake.answer({"volume info vm-instances": "volume_info_created.xml"})
    assert gluster.volume_info("vm-instances")["status"] == "Created"


def test_volume_info_distributed_replicate(gluster, fake):
    fake.answer({"volume info dist-rep": "volume_info_distrep.xml"})
    info = gluster.volume_info("dist-rep")
    assert info["type"] == "Distributed-Replicate"
    assert info["status"] == "Started"
    assert (info["replica_count"], info["dist_count"], info["brick_count"]) == (3, 2, 6)
    assert [b["name"] for b in info["bricks"]] == DISTREP_BRICKS


def test_volume_info_stopped(gluster, fake):
    fake.answer({"volume info dist-rep": "volume_info_stopped.xml"})
    assert gluster.volume_info("dist-rep")["status"] == "Stopped"


def test_volume_info_of_every_volume(gluster, fake):
    fake.answer({"volume info": "volume_info_all.xml"})
    volumes = gluster.volume_info()
    assert sorted(volumes) == ["dist-rep", "vm-instances"]
    assert volumes["vm-instances"]["options"]["features.shard"] == "on"


def test_volume_info_of_a_missing_volume_raises(gluster, fake):
    fake.answer({"volume info nosuch": "volume_info_missing.xml"})
    with pytest.raises(CommandExecutionError, match="Volume does not exist"):
        gluster.volume_info("nosuch")


# --------------------------------------------------------------------------- create, start, stop


def test_volume_create_command_line(gluster, fake):
    args = ["volume", "create", "vm-instances", "replica", "3", *VM_BRICKS, "force"]
    fake.answer({tuple(args): "volume_create.xml"})
    result = gluster.volume_create("vm-instances", VM_BRICKS, replica=3, force=True)
    assert result == {"name": "vm-instances", "id": "fadde6fc-4abe-4e31-adfc-5ca53a8a9126"}
    assert fake.calls == [tuple(args)]


def test_volume_create_distributed_without_replica_and_with_pairs(gluster, fake):
    args = ("volume", "create", "plain", "transport", "rdma", "a:/b1", "b:/b1")
    fake.answer({args: "volume_create.xml"})
    gluster.volume_create("plain", [("a", "/b1/"), "b:/b1"], transport="rdma")
    assert fake.calls == [args]


def test_volume_create_never_recreates(gluster, fake):
    fake.answer(
        {
            (
                "volume",
                "create",
                "vm-instances",
                "replica",
                "3",
                *VM_BRICKS,
            ): "volume_create_exists.xml"
        }
    )
    with pytest.raises(CommandExecutionError, match="Volume vm-instances already exists"):
        gluster.volume_create("vm-instances", VM_BRICKS, replica=3)


@pytest.mark.parametrize(
    ("capture", "message"),
    [
        ("volume_create_no_force.xml", "is being created in the root partition"),
        ("volume_create_same_host.xml", "Multiple bricks of a replicate volume"),
        ("volume_create_brick_in_use.xml", "Brick may be containing or be contained by"),
        ("volume_create_unknown_host.xml", "Host compute9 is not in 'Peer in Cluster' state"),
    ],
)
def test_volume_create_carries_glusters_refusal(gluster, fake, capture, message):
    fake.answer({("volume", "create", "other", "compute1:/x"): capture})
    with pytest.raises(CommandExecutionError, match=message):
        gluster.volume_create("other", ["compute1:/x"])


@pytest.mark.parametrize(
    ("bricks", "replica", "message"),
    [
        (VM_BRICKS[:2], 3, "not a multiple of replica 3"),
        (VM_BRICKS, 1, "replica must be an integer of 2 or more"),
        (["compute1/export"], None, "host:/absolute/path"),
        (["compute1:export"], None, "host:/absolute/path"),
        ([VM_BRICKS[0], VM_BRICKS[0] + "/"], None, "given twice"),
        ("compute1:/export", None, "non-empty list"),
        ([], None, "non-empty list"),
    ],
)
def test_volume_create_rejects_bad_input_before_calling_gluster(
    gluster, fake, bricks, replica, message
):
    with pytest.raises(SaltInvocationError, match=message):
        gluster.volume_create("vm-instances", bricks, replica=replica)
    assert fake.calls == []


def test_volume_start_and_stop(gluster, fake):
    fake.answer(
        {
            "volume start vm-instances": "volume_start.xml",
            "volume start vm-instances force": "volume_start_force.xml",
            "volume stop dist-rep": "volume_stop_distrep.xml",
        }
    )
    assert gluster.volume_start("vm-instances")["name"] == "vm-instances"
    assert gluster.volume_start("vm-instances", force=True)["name"] == "vm-instances"
    assert gluster.volume_stop("dist-rep") == {
        "name": "dist-rep",
        "id": "7fec9440-a9ec-456a-b0b3-1f14163a14b6",
    }


def test_volume_start_and_stop_errors(gluster, fake):
    fake.answer(
        {
            "volume start vm-instances": "volume_start_started.xml",
            "volume stop dist-rep": "volume_stop_stopped.xml",
        }
    )
    with pytest.raises(CommandExecutionError, match="Volume vm-instances already started"):
        gluster.volume_start("vm-instances")
    with pytest.raises(CommandExecutionError, match="Volume dist-rep is not in the started state"):
        gluster.volume_stop("dist-rep")


# --------------------------------------------------------------------------- options


def test_set_option(gluster, fake):
    fake.answer({"volume set vm-instances performance.strict-o-direct on": "volume_set.xml"})
    assert gluster.set_option("vm-instances", "performance.strict-o-direct", True) is True


def test_set_options_in_one_call(gluster, fake):
    args = "volume set vm-instances performance.quick-read off network.remote-dio disable"
    fake.answer({args: "volume_set_multi.xml"})
    options = {"performance.quick-read": False, "network.remote-dio": "disable"}
    assert gluster.set_options("vm-instances", options) is True
    assert fake.calls == [tuple(args.split())]


@pytest.mark.parametrize(
    ("key", "value", "capture", "message"),
    [
        ("no.such-option", "on", "volume_set_bad_key.xml", "no.such-option does not exist"),
        (
            "performance.strict-o-direct",
            "maybe",
            "volume_set_bad_value.xml",
            "'maybe' is not a valid boolean value",
        ),
    ],
)
def test_set_option_errors(gluster, fake, key, value, capture, message):  # noqa: PLR0917
    fake.answer({f"volume set vm-instances {key} {value}": capture})
    with pytest.raises(CommandExecutionError, match=message):
        gluster.set_option("vm-instances", key, value)


def test_get_options(gluster, fake):
    fake.answer({"volume get vm-instances all": "volume_get_all.xml"})
    options = gluster.get_options("vm-instances")
    assert len(options) > 300
    assert options["performance.strict-o-direct"] == "on"  # set by the virt group
    assert options["cluster.min-free-disk"] == "10%"  # "10% (DEFAULT)"
    assert options["features.shard"] == "on"
    assert not any(value.endswith("(DEFAULT)") for value in options.values())


def test_group_options(gluster, tmp_path):
    groups = tmp_path / "groups"
    groups.mkdir()
    (groups / "virt").write_text("performance.quick-read=off\n\n# note\nfeatures.shard=on\n")
    assert gluster.group_options("virt") == {
        "performance.quick-read": "off",
        "features.shard": "on",
    }
    with pytest.raises(CommandExecutionError, match="gluster option group nosuch"):
        gluster.group_options("nosuch")
    with pytest.raises(SaltInvocationError):
        gluster.group_options("../virt")


@pytest.mark.parametrize(
    ("current", "wanted", "equal"),
    [
        ("enable", "on", True),
        ("disable", False, True),
        ("on", True, True),
        ("off", "on", False),
        ("32MB", "32MB", True),
        ("32MB", "64MB", False),
        (None, "on", False),
        ("8", 8, True),
    ],
)
def test_option_equal(gluster, current, wanted, equal):
    assert gluster.option_equal(current, wanted) is equal


@pytest.mark.parametrize(
    ("key", "current", "wanted", "equal"),
    [
        ("auth.allow", "192.168.0.1,192.168.0.2", "192.168.0.2, 192.168.0.1", True),
        ("auth.allow", "192.168.0.1,192.168.0.2", "192.168.0.1", False),
        ("auth.allow", "*", "192.168.0.1", False),
        ("auth.reject", "10.0.0.1,10.0.0.2", "10.0.0.2,10.0.0.1,", True),
        # only address lists compare as sets
        ("performance.client-io-threads", "a,b", "b,a", False),
        (None, "a,b", "b,a", False),
    ],
)
def test_option_equal_address_lists_in_any_order(gluster, key, current, wanted, equal):  # noqa: PLR0917
    assert gluster.option_equal(current, wanted, key=key) is equal


# --------------------------------------------------------------------------- heal, bricks


def test_heal_info_clean(gluster, fake):
    fake.answer({"volume heal vm-instances info": "heal_info.xml"})
    heal = gluster.heal_info("vm-instances")
    assert [b["name"] for b in heal["bricks"]] == VM_BRICKS
    assert [b["entries"] for b in heal["bricks"]] == [0, 0, 0]
    assert heal["total"] == 0
    assert heal["unreachable"] == []


def test_heal_info_with_a_brick_down(gluster, fake):
    fake.answer({"volume heal vm-instances info": "heal_info_pending.xml"})
    heal = gluster.heal_info("vm-instances")
    assert [b["entries"] for b in heal["bricks"]] == [9, 9, None]
    assert heal["total"] == 18
    assert heal["unreachable"] == [VM_BRICKS[2]]
    assert heal["bricks"][2]["status"] == "Transport endpoint is not connected"
    assert "/file1" in heal["bricks"][0]["files"]


def test_heal_info_of_a_stopped_volume_raises(gluster, fake):
    fake.answer({"volume heal dist-rep info": ("heal_info_stopped.xml", 251)})
    with pytest.raises(CommandExecutionError, match="Not able to fetch volfile from glusterd"):
        gluster.heal_info("dist-rep")


def test_brick_status_all_online(gluster, fake):
    fake.answer(
        {
            "volume status vm-instances detail": "volume_status_detail.xml",
            "volume info vm-instances": "volume_info_started.xml",
        }
    )
    bricks = gluster.brick_status("vm-instances")
    assert [b["name"] for b in bricks] == VM_BRICKS
    assert [b["online"] for b in bricks] == [True, True, True]
    assert [(b["pid"], b["port"]) for b in bricks] == [(186, 59549), (59, 60113), (59, 59311)]
    assert bricks[0]["fs"] == "ext4"


def test_brick_status_with_a_brick_process_down(gluster, fake):
    fake.answer(
        {
            "volume status vm-instances detail": "volume_status_detail_brick_down.xml",
            "volume info vm-instances": "volume_info_started.xml",
        }
    )
    down = gluster.brick_status("vm-instances")[2]
    assert (down["online"], down["pid"], down["port"]) == (False, None, None)


def test_brick_status_lists_bricks_of_an_unreachable_peer_as_offline(gluster, fake):
    # glusterd leaves the bricks of a peer it cannot reach out of its answer.
    fake.answer(
        {
            "volume status vm-instances detail": "volume_status_peer_down.xml",
            "volume info vm-instances": "volume_info_started.xml",
        }
    )
    bricks = gluster.brick_status("vm-instances")
    assert [b["name"] for b in bricks] == VM_BRICKS
    assert [b["online"] for b in bricks] == [True, True, False]


def test_brick_status_of_a_stopped_volume_raises(gluster, fake):
    fake.answer({"volume status dist-rep detail": "volume_status_stopped.xml"})
    with pytest.raises(CommandExecutionError, match="Volume dist-rep is not started"):
        gluster.brick_status("dist-rep")


# --------------------------------------------------------------------------- order_bricks


def _hosts_of(brick_set):
    return [brick.split(":", 1)[0] for brick in brick_set]


def test_order_bricks_one_brick_per_host_is_host_order(gluster):
    hosts = ["compute1", "compute2", "compute3", "compute4"]
    expected = [f"{h}:/export/gluster" for h in hosts]
    assert gluster.order_bricks(hosts, "/export/gluster", 4) == expected
    assert gluster.order_bricks(hosts, "/export/gluster/", 2) == expected
    assert gluster.order_bricks(hosts, "/export/gluster", None) == expected


def test_order_bricks_twelve_hosts_replica_four(gluster):
    hosts = [f"compute{n}" for n in range(1, 13)]
    bricks = gluster.order_bricks(hosts, "/export/gluster", 4)
    assert bricks == [f"{h}:/export/gluster" for h in hosts]


def test_order_bricks_interleaves_hosts_with_several_bricks(gluster):
    pairs = [("a", "/b1"), ("a", "/b2"), ("b", "/b1"), ("b", "/b2"), ("c", "/b1"), ("c", "/b2")]
    assert gluster.order_bricks(pairs, replica=3) == [
        "a:/b1",
        "b:/b1",
        "c:/b1",
        "a:/b2",
        "b:/b2",
        "c:/b2",
    ]
    # Uneven: a host with two bricks and two with one, replica 2.
    assert gluster.order_bricks([("a", "/1"), ("a", "/2"), ("b", "/1"), ("c", "/1")], None, 2) == [
        "a:/1",
        "b:/1",
        "a:/2",
        "c:/1",
    ]


def test_order_bricks_finds_a_layout_where_round_robin_fails(gluster):
    # Round robin would give (a, b) (c, c); spreading by bricks left gives (a, c) (b, c).
    ordered = gluster.order_bricks([("a", "/1"), ("b", "/1"), ("c", "/1"), ("c", "/2")], None, 2)
    assert [sorted(_hosts_of(ordered[i : i + 2])) for i in (0, 2)] == [["a", "c"], ["b", "c"]]


@pytest.mark.parametrize(
    ("hosts", "path", "replica", "message"),
    [
        (["a", "b", "c"], "/e", 2, "not a multiple of replica 2"),
        ([("a", "/1"), ("a", "/2"), ("a", "/3"), ("b", "/1")], None, 2, "a host holds 3 bricks"),
        (["a", "b"], None, 2, "has no brick path"),
        (["a", "a"], "/e", 2, "given twice"),
        ([], "/e", 2, "non-empty list"),
    ],
)
def test_order_bricks_rejects_impossible_layouts(gluster, hosts, path, replica, message):
    with pytest.raises(SaltInvocationError, match=message):
        gluster.order_bricks(hosts, path, replica)


def test_order_bricks_property(gluster):
    """Every feasible mix of hosts and bricks gives replica sets of distinct hosts."""
    rng = random.Random(4)
    for _ in range(300):
        replica = rng.randint(2, 4)
        hosts = [f"h{n}" for n in range(rng.randint(replica, 7))]
        counts = [rng.randint(1, 3) for _ in hosts]
        total = sum(counts)
        if total % replica or max(counts) > total // replica:
            continue
        pairs = list(
            itertools.chain.from_iterable(
                [(host, f"/b{i}") for i in range(count)]
                for host, count in zip(hosts, counts, strict=True)
            )
        )
        rng.shuffle(pairs)
        ordered = gluster.order_bricks(pairs, None, replica)
        assert sorted(ordered) == sorted(f"{h}:{p}" for h, p in pairs)
        for start in range(0, len(ordered), replica):
            brick_set = _hosts_of(ordered[start : start + replica])
            assert len(set(brick_set)) == replica, ordered
