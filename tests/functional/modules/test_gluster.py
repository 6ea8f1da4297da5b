"""
The gluster execution and state modules against a real glusterd.

The test starts its own glusterd in new network, mount and PID namespaces
(``unshare``): its working directory (/var/lib/glusterd), run directory
(/run) and logs are bind-mounted from a temporary directory, its only
address is 10.99.0.1 on the namespace's loopback device, and it and every
brick process it spawns die with it. Nothing of the machine's own gluster
(state, ports, sockets) is touched.

The module under test runs ``gluster`` as always; a ``gluster`` first in
PATH enters the namespaces (``nsenter``) and runs the real CLI there.

The auth.allow tests add a client host: network and mount namespaces of
its own at another address, joined to glusterd's by a veth pair, where the
real glusterfs FUSE client mounts the volume (and is refused or admitted
by the brick).

Needs root, glusterfs-server, util-linux (unshare, nsenter) and iproute2.
Skipped when they are missing, except under CI (``CI`` set), where that
fails.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from salt.exceptions import CommandExecutionError

ADDRESS = "10.99.0.1"  # the test glusterd's own address, inside its namespace
UNREACHABLE = "10.99.0.9"  # nothing answers there
VIRT_OPTIONS = {"network.remote-dio": "disable", "performance.strict-o-direct": "on"}
GROUPS_DIR = "/var/lib/glusterd/groups"
# The bricks' ports: glusterd picks each at random between its base-port and
# max-port (glusterfs.server sets both from openstack:firewall:services
# gluster-bricks, as here).
BRICK_PORTS = (49152, 49171)


def _missing():
    tools = ("glusterd", "gluster", "glusterfs", "unshare", "nsenter", "ip")
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        return (
            f"{', '.join(missing)} not installed "
            "(apt-get install glusterfs-server util-linux iproute2)"
        )
    if os.geteuid() != 0:
        return "glusterd needs root (trusted.* xattrs on the bricks, namespaces)"
    for path in ("/var/lib/glusterd", "/var/log/glusterfs"):
        if not os.path.isdir(path):
            return f"{path} missing: glusterfs-server is not installed properly"
    return None


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            return [int(child) for child in fh.read().split()]
    except OSError:
        return []


@pytest.fixture(scope="module")
def glusterd(tmp_path_factory):
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the gluster functional tests: {reason}")
        pytest.skip(reason)

    base = tmp_path_factory.mktemp("glusterd")
    lib, run, logs, bindir = (base / d for d in ("lib", "run", "log", "bin"))
    for directory in (lib, run, logs, bindir):
        directory.mkdir()
    for sub in ("groups", "hooks"):
        if os.path.isdir(f"/var/lib/glusterd/{sub}"):
            shutil.copytree(f"/var/lib/glusterd/{sub}", lib / sub, symlinks=True)
    # the package's glusterd.vol, with the bricks' port range glusterfs.server sets
    volfile = base / "glusterd.vol"
    text = open("/etc/glusterfs/glusterd.vol", encoding="utf-8").read()  # noqa: PTH123
    for option, port in zip(("base-port", "max-port"), BRICK_PORTS, strict=True):
        text, count = re.subn(
            rf"^[ \t#]*option[ \t]+{option}[ \t]+[0-9]+[ \t]*$",
            f"    option {option} {port}",
            text,
            flags=re.MULTILINE,
        )
        assert count == 1, f"no {option} line in /etc/glusterfs/glusterd.vol"
    volfile.write_text(text)
    script = f"""set -e
ip link set lo up
ip addr add {ADDRESS}/32 dev lo
mount --bind {run} /run
mkdir -p /run/gluster
mount --bind {lib} /var/lib/glusterd
mount --bind {logs} /var/log/glusterfs
exec glusterd -N -p /run/glusterd.pid -f {volfile}
"""
    output = (base / "unshare.log").open("w")
    proc = subprocess.Popen(  # noqa: S603
        ["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc"]
        + ["--propagation", "private", "sh", "-c", script],
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    pid = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            children = _children(proc.pid)
            if children and (run / "glusterd.socket").exists():
                pid = children[0]
                break
            time.sleep(0.1)
        if pid is None:
            log = (base / "unshare.log").read_text() + _log_tail(logs)
            pytest.fail(f"glusterd did not start: {log}")

        wrapper = bindir / "gluster"
        wrapper.write_text(
            f'#!/bin/sh\nexec nsenter -t {pid} -n -m -p {shutil.which("gluster")} "$@"\n'
        )
        wrapper.chmod(0o755)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
            _wait_ready(wrapper, logs)
            yield {"pid": pid, "base": base, "bricks": base / "bricks", "logs": logs}
    finally:
        if pid is not None:
            # PID 1 of its PID namespace: when it exits, the kernel kills the
            # brick and self-heal processes left in the namespace.
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        output.close()


def _log_tail(logs):
    path = logs / "glusterd.log"
    return path.read_text()[-3000:] if path.exists() else ""


def _wait_ready(wrapper, logs):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        res = subprocess.run(  # noqa: S603
            [str(wrapper), "--xml", "--mode=script", "peer", "status"],
            capture_output=True,
            text=True,
            check=False,
        )
        if "<opRet>0</opRet>" in res.stdout:
            return
        time.sleep(0.2)
    pytest.fail(f"glusterd does not answer: {res.stdout} {res.stderr} {_log_tail(logs)}")


@pytest.fixture(scope="module")
def gluster(glusterd, loaders):
    return loaders.modules.gluster


@pytest.fixture(scope="module")
def states(glusterd, loaders):
    return loaders.states.gluster


def bricks_for(glusterd, volume, count):
    paths = []
    for index in range(1, count + 1):
        path = glusterd["bricks"] / volume / f"b{index}"
        path.mkdir(parents=True, exist_ok=True)
        paths.append(f"{ADDRESS}:{path}")
    return paths


@pytest.fixture(scope="module")
def vm_volume(glusterd, states):
    """vm-instances: replica 2 over two local bricks, started, VM options set."""
    bricks = bricks_for(glusterd, "vm-instances", 2)
    ret = states.volume_present(
        name="vm-instances", bricks=bricks, replica=2, force=True, options=VIRT_OPTIONS
    )
    assert ret.result is True, ret.comment
    return {"name": "vm-instances", "bricks": bricks, "replica": 2, "first": ret}


# --------------------------------------------------------------------------- peers


def test_peers_of_a_lone_node(gluster, states):
    assert gluster.peer_status() == []
    # Probing this node itself is not an error and changes nothing.
    assert gluster.peer_probe(ADDRESS)["probed"] is False
    ret = states.peered(name=ADDRESS)
    assert ret.result is True
    assert ret.changes == {}
    assert gluster.peer_status() == []


def test_probe_error_carries_glusters_message(gluster, states):
    with pytest.raises(CommandExecutionError) as exc:
        gluster.peer_probe(UNREACHABLE)
    assert "Probe returned with" in str(exc.value)
    ret = states.peered(name=UNREACHABLE)
    assert ret.result is False
    assert "Probe returned with" in ret.comment
    assert gluster.peer_status() == []


# --------------------------------------------------------------------------- volume_present


def test_create_in_test_mode_changes_nothing(glusterd, gluster, states):
    bricks = bricks_for(glusterd, "dry-run", 2)
    ret = states.volume_present(name="dry-run", bricks=bricks, replica=2, force=True, test=True)
    assert ret.result is None
    assert ret.changes["volume"] == {
        "old": None,
        "new": {"bricks": bricks, "replica": 2, "transport": "tcp"},
    }
    assert ret.changes["status"] == {"old": None, "new": "Started"}
    assert "dry-run" not in gluster.list_volumes()


def test_create_start_and_options(vm_volume, gluster):
    first = vm_volume["first"]
    assert set(first.changes) == {"volume", "status", "options"}
    assert first.changes["status"] == {"old": "Created", "new": "Started"}
    # Only the options that differ are set: network.remote-dio is "disable" by default.
    assert first.changes["options"] == {
        "old": {"performance.strict-o-direct": "off"},
        "new": {"performance.strict-o-direct": "on"},
    }

    info = gluster.volume_info("vm-instances")
    assert info["type"] == "Replicate"
    assert info["status"] == "Started"
    assert info["replica_count"] == 2
    assert [b["name"] for b in info["bricks"]] == vm_volume["bricks"]
    options = gluster.get_options("vm-instances")
    assert options["performance.strict-o-direct"] == "on"
    assert options["network.remote-dio"] == "disable"


def test_second_run_reports_no_changes(vm_volume, states):
    for test in (True, False):
        ret = states.volume_present(
            name="vm-instances",
            bricks=vm_volume["bricks"],
            replica=2,
            force=True,
            options=VIRT_OPTIONS,
            test=test,
        )
        assert ret.result is True, ret.comment
        assert ret.changes == {}


def test_option_drift_is_seen_and_repaired(vm_volume, gluster, states):
    gluster.set_option("vm-instances", "performance.strict-o-direct", "off")
    kwargs = {"name": "vm-instances", "bricks": vm_volume["bricks"], "replica": 2}
    ret = states.volume_present(**kwargs, options=VIRT_OPTIONS, test=True)
    assert ret.result is None
    assert ret.changes == {
        "options": {
            "old": {"performance.strict-o-direct": "off"},
            "new": {"performance.strict-o-direct": "on"},
        }
    }
    assert gluster.get_options("vm-instances")["performance.strict-o-direct"] == "off"

    ret = states.volume_present(**kwargs, options=VIRT_OPTIONS)
    assert ret.result is True
    assert "options" in ret.changes
    assert gluster.get_options("vm-instances")["performance.strict-o-direct"] == "on"
    ret = states.option_present(name="vm-instances", key="performance.strict-o-direct", value=True)
    assert ret.result is True
    assert ret.changes == {}


@pytest.mark.skipif(not os.path.exists(f"{GROUPS_DIR}/virt"), reason="no virt option group")
def test_virt_group(vm_volume, gluster, states):
    kwargs = {"name": "vm-instances", "bricks": vm_volume["bricks"], "replica": 2}
    ret = states.volume_present(**kwargs, options={"group": "virt"}, test=True)
    assert ret.result is None
    assert "features.shard" in ret.changes["options"]["new"]
    ret = states.volume_present(**kwargs, options={"group": "virt"})
    assert ret.result is True, ret.comment
    assert gluster.get_options("vm-instances")["features.shard"] == "on"
    ret = states.volume_present(**kwargs, options={"group": "virt"})
    assert ret.changes == {}
    # Sharding is never switched off again: files written sharded would be lost.
    ret = states.volume_present(**kwargs, options={"features.shard": "off"})
    assert ret.result is False
    assert "features.shard" in ret.comment
    assert gluster.get_options("vm-instances")["features.shard"] == "on"


def test_stopped_volume_is_started(vm_volume, gluster, states):
    gluster.volume_stop("vm-instances")
    assert gluster.volume_info("vm-instances")["status"] == "Stopped"
    ret = states.volume_started(name="vm-instances", test=True)
    assert ret.result is None
    assert ret.changes == {"status": {"old": "Stopped", "new": "Started"}}
    assert gluster.volume_info("vm-instances")["status"] == "Stopped"
    ret = states.volume_present(name="vm-instances", bricks=vm_volume["bricks"], replica=2)
    assert ret.result is True
    assert ret.changes == {"status": {"old": "Stopped", "new": "Started"}}
    assert gluster.volume_info("vm-instances")["status"] == "Started"
    assert states.volume_started(name="vm-instances").changes == {}


def test_bricks_and_heal(vm_volume, gluster):
    bricks = gluster.brick_status("vm-instances")
    assert [b["name"] for b in bricks] == vm_volume["bricks"]
    for brick in bricks:
        assert brick["online"] is True
        assert brick["pid"] > 0
        assert BRICK_PORTS[0] <= brick["port"] <= BRICK_PORTS[1], brick
    heal = gluster.heal_info("vm-instances")
    assert [b["name"] for b in heal["bricks"]] == vm_volume["bricks"]
    assert heal["total"] == 0
    assert heal["unreachable"] == []


def test_create_existing_name_raises(vm_volume, glusterd, gluster):
    before = gluster.volume_info("vm-instances")
    other = bricks_for(glusterd, "other", 2)
    with pytest.raises(CommandExecutionError, match="Volume vm-instances already exists"):
        gluster.volume_create("vm-instances", other, replica=2, force=True)
    assert gluster.volume_info("vm-instances") == before


def test_gluster_error_reaches_the_caller(vm_volume, gluster):
    with pytest.raises(CommandExecutionError, match="no.such-option does not exist"):
        gluster.set_option("vm-instances", "no.such-option", "on")
    with pytest.raises(CommandExecutionError, match="Volume vm-instances already started"):
        gluster.volume_start("vm-instances")


# --------------------------------------------------------------------------- refusals


@pytest.fixture(scope="module")
def dist_volume(glusterd, states):
    """dist-rep: 2 x 2 distributed-replicated, for dropping one replica set."""
    bricks = bricks_for(glusterd, "dist-rep", 4)
    ret = states.volume_present(name="dist-rep", bricks=bricks, replica=2, force=True)
    assert ret.result is True, ret.comment
    return {"name": "dist-rep", "bricks": bricks}


def _refused(gluster, states, name, expected, **kwargs):
    before = gluster.volume_info(name)
    options_before = gluster.get_options(name)
    for test in (True, False):
        ret = states.volume_present(name=name, force=True, test=test, **kwargs)
        assert ret.result is False, ret.comment
        assert ret.changes == {}
        for words in expected:
            assert words in ret.comment
        assert "Nothing was changed" in ret.comment
    assert gluster.volume_info(name) == before
    assert gluster.get_options(name) == options_before
    return ret


def test_refuses_shrinking_the_replica(vm_volume, gluster, states):
    _refused(
        gluster,
        states,
        "vm-instances",
        ["replica count would shrink from 2 to 1", "remove-brick"],
        bricks=vm_volume["bricks"],
        replica=None,
    )


def test_refuses_dropping_a_brick(dist_volume, gluster, states):
    kept, dropped = dist_volume["bricks"][:2], dist_volume["bricks"][2:]
    _refused(
        gluster,
        states,
        "dist-rep",
        [f"brick(s) {', '.join(dropped)} hold data", "would lose data"],
        bricks=kept,
        replica=2,
    )


def test_refuses_different_bricks(vm_volume, glusterd, gluster, states):
    other = bricks_for(glusterd, "elsewhere", 2)
    _refused(
        gluster,
        states,
        "vm-instances",
        ["re-creating the volume"],
        bricks=[vm_volume["bricks"][0], other[1]],
        replica=2,
    )


def test_refuses_regrouping_replica_sets(dist_volume, gluster, states):
    b1, b2, b3, b4 = dist_volume["bricks"]
    _refused(
        gluster, states, "dist-rep", ["different replica sets"], bricks=[b1, b3, b2, b4], replica=2
    )


def test_refuses_growing_with_the_command_to_run(vm_volume, glusterd, gluster, states):
    more = bricks_for(glusterd, "more", 2)
    _refused(
        gluster,
        states,
        "vm-instances",
        [f"gluster volume add-brick vm-instances {more[0]} {more[1]}", "rebalance"],
        bricks=vm_volume["bricks"] + more,
        replica=2,
    )


def test_order_inside_a_replica_set_is_not_a_change(dist_volume, states):
    b1, b2, b3, b4 = dist_volume["bricks"]
    ret = states.volume_present(name="dist-rep", bricks=[b2, b1, b4, b3], replica=2)
    assert ret.result is True, ret.comment
    assert ret.changes == {}


# --------------------------------------------------------------------------- auth.allow

# The client's own namespace: a veth pair from the test glusterd's network
# namespace (GLUSTERD_SIDE) to it (CLIENT); the bricks stay at ADDRESS.
GLUSTERD_SIDE = "10.99.1.1"
CLIENT = "10.99.1.2"
ELSEWHERE = "10.99.1.9"  # an address that is not the client's


def _nsenter(pid, *args, check=True, timeout=30):
    return subprocess.run(  # noqa: S603
        ["nsenter", "-t", str(pid), "-n", "-m", *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def client(glusterd, tmp_path_factory):
    """
    A host outside the test glusterd's namespace: network and mount
    namespaces of its own (held by a sleeping process), at CLIENT, joined to
    glusterd's by a veth pair, routed to the bricks' ADDRESS. Mounts made in
    it are seen nowhere else; it and its veth end vanish with the holder.
    """
    if not os.path.exists("/dev/fuse"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the auth.allow tests: no /dev/fuse")
        pytest.skip("no /dev/fuse: the FUSE client cannot mount")
    base = tmp_path_factory.mktemp("client")
    holder = subprocess.Popen(  # noqa: S603
        ["unshare", "--net", "--mount", "--propagation", "private", "--fork"]  # noqa: S607
        + ["sleep", "3600"],
    )
    try:
        deadline = time.monotonic() + 10
        while not _children(holder.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = _children(holder.pid)[0]
        server_end, client_end = f"h13gs{os.getpid() % 10000}", f"h13gc{os.getpid() % 10000}"
        subprocess.run(  # noqa: S603
            ["ip", "link", "add", server_end, "type", "veth", "peer", "name", client_end],  # noqa: S607
            check=True,
        )
        subprocess.run(["ip", "link", "set", server_end, "netns", str(glusterd["pid"])], check=True)  # noqa: S603, S607
        subprocess.run(["ip", "link", "set", client_end, "netns", str(pid)], check=True)  # noqa: S603, S607
        _nsenter(glusterd["pid"], "ip", "addr", "add", f"{GLUSTERD_SIDE}/24", "dev", server_end)
        _nsenter(glusterd["pid"], "ip", "link", "set", server_end, "up")
        _nsenter(pid, "ip", "link", "set", "lo", "up")
        _nsenter(pid, "ip", "addr", "add", f"{CLIENT}/24", "dev", client_end)
        _nsenter(pid, "ip", "link", "set", client_end, "up")
        _nsenter(pid, "ip", "route", "add", f"{ADDRESS}/32", "via", GLUSTERD_SIDE)
        probe = f"import socket; socket.create_connection(({ADDRESS!r}, 24007), 2).close()"
        deadline = time.monotonic() + 15
        while _nsenter(pid, sys.executable, "-c", probe, check=False).returncode:
            if time.monotonic() > deadline:
                pytest.fail(f"glusterd at {ADDRESS}:24007 cannot be reached from {CLIENT}")
            time.sleep(0.2)
        yield {"pid": pid, "base": base}
    finally:
        holder.kill()
        holder.wait()


def _mount(client, volume, name):
    """
    Mount ``volume`` in the client's namespaces with the glusterfs FUSE
    client (as mount.glusterfs runs it); returns (mounted, log text). The
    client gets the volume file from glusterd (port 24007, which auth.allow
    does not guard) and then hands its address to each brick, which accepts
    or refuses it.
    """
    mountpoint = client["base"] / name
    mountpoint.mkdir()
    log = client["base"] / f"{name}.log"
    pidfile = client["base"] / f"{name}.pid"
    _nsenter(
        client["pid"],
        "glusterfs",
        f"--volfile-server={ADDRESS}",
        f"--volfile-id={volume}",
        f"--log-file={log}",
        f"--pid-file={pidfile}",
        str(mountpoint),
        check=False,
    )
    # the client process lives on in the namespace while it is mounted
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        if "sending AUTH_FAILED event" in text or "Connected, attached to remote volume" in text:
            break
        time.sleep(0.2)
    mounts = _nsenter(client["pid"], "cat", "/proc/self/mounts").stdout
    return str(mountpoint) in mounts, mountpoint, (log.read_text() if log.exists() else "")


def _unmount(client, mountpoint):
    _nsenter(client["pid"], "umount", "-l", str(mountpoint), check=False)


def _brick_log(glusterd, volume):
    (log,) = (glusterd["logs"] / "bricks").glob(f"*-bricks-{volume}-b1.log")
    return log


def _set_auth_allow(glusterd, states, volume, bricks, value):
    """
    volume_present with this auth.allow, then wait for the brick to take it:
    glusterd tells the brick process its volume file changed and returns;
    the brick fetches it and reconfigures a moment later (a burst of log
    lines after "Volume file changed"). A client in between meets the old
    list.
    """
    log = _brick_log(glusterd, volume)
    before = log.read_text().count("Volume file changed")
    ret = states.volume_present(name=volume, bricks=bricks, options={"auth.allow": value})
    if ret.changes.get("options"):
        deadline = time.monotonic() + 30
        size = None
        while time.monotonic() < deadline:
            text = log.read_text()
            if text.count("Volume file changed") > before and len(text) == size:
                break
            size = len(text)
            time.sleep(0.5)
        else:
            pytest.fail(f"the brick did not take the new auth.allow: {log.read_text()[-2000:]}")
    return ret


@pytest.fixture(scope="module")
def auth_volume(glusterd, states):
    """auth-vol: one brick, started (auth.allow set by each test)."""
    bricks = bricks_for(glusterd, "auth-vol", 1)
    ret = states.volume_present(name="auth-vol", bricks=bricks, force=True)
    assert ret.result is True, ret.comment
    return {"name": "auth-vol", "bricks": bricks, "path": bricks[0].split(":", 1)[1]}


def test_auth_allow_refuses_an_address_not_listed(glusterd, client, auth_volume, states):
    ret = _set_auth_allow(glusterd, states, "auth-vol", auth_volume["bricks"], ELSEWHERE)
    assert ret.result is True, ret.comment
    assert ret.changes["options"]["new"] == {"auth.allow": ELSEWHERE}
    mounted, mountpoint, log = _mount(client, "auth-vol", "refused")
    try:
        # the brick's answer, in the client's log (client_setvolume_cbk):
        # "SETVOLUME on remote-host failed [{remote-error=Authentication
        # failed}...]", then the FUSE client shuts down
        assert "remote-error=Authentication failed" in log, log[-2000:]
        assert "sending AUTH_FAILED event" in log
        assert "Connected, attached to remote volume" not in log
        # and the brick's own reasoning (auth/addr), in its log
        brick = _brick_log(glusterd, "auth-vol").read_text()
        assert f'allowed = "{ELSEWHERE}", received addr = "{CLIENT}"' in brick
        if mounted:  # FUSE mounted, but nothing behind it
            res = _nsenter(client["pid"], "sh", "-c", f"echo x > {mountpoint}/refused", check=False)
            assert res.returncode != 0
        assert not os.path.exists(os.path.join(auth_volume["path"], "refused"))
    finally:
        _unmount(client, mountpoint)


def test_auth_allow_admits_a_listed_address(glusterd, client, auth_volume, gluster, states):
    before = gluster.volume_info("auth-vol")["id"]
    allowed = f"{ADDRESS},{CLIENT}"
    ret = _set_auth_allow(glusterd, states, "auth-vol", auth_volume["bricks"], allowed)
    assert ret.result is True, ret.comment
    assert ret.changes == {
        "options": {"old": {"auth.allow": ELSEWHERE}, "new": {"auth.allow": allowed}}
    }
    mounted, mountpoint, log = _mount(client, "auth-vol", "admitted")
    try:
        assert mounted, log[-2000:]
        assert "Connected, attached to remote volume" in log
        assert "AUTH_FAILED" not in log
        _nsenter(client["pid"], "sh", "-c", f"echo through-the-mount > {mountpoint}/admitted")
        # written through FUSE and the brick: it is in the brick's directory
        with open(os.path.join(auth_volume["path"], "admitted"), encoding="ascii") as fh:
            assert fh.read() == "through-the-mount\n"
    finally:
        _unmount(client, mountpoint)
    # the same list in another order is no change; the volume was never re-created
    ret = states.volume_present(
        name="auth-vol",
        bricks=auth_volume["bricks"],
        options={"auth.allow": f"{CLIENT}, {ADDRESS}"},
    )
    assert ret.result is True, ret.comment
    assert ret.changes == {}
    assert gluster.volume_info("auth-vol")["id"] == before
