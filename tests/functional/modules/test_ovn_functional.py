"""
The ovn execution and state modules against real OVSDB servers: an Open
vSwitch, an OVN Northbound and an OVN Southbound ``ovsdb-server``, each on a
unix socket in a temporary directory (the minion options ``ovn.ovs_remote``,
``ovn.nb_remote``, ``ovn.sb_remote`` point the module there), and an
``ovs-vswitchd`` with the userspace datapath only (``--disable-system``) in a
network namespace of its own (``unshare --net``), which holds the devices the
bridge tests attach (veth pairs made there). Nothing of the machine's own
Open vSwitch/OVN or network is touched; every process started here is
stopped at the end.

Needs openvswitch-switch, ovn-central (ovn-common); root and util-linux for
the bridge tests. Skipped when they are missing, except under CI (``CI``
set), where that fails.
"""

import os
import shutil
import subprocess
import time

import pytest
from salt.exceptions import CommandExecutionError

from tests.support.ci import skip_or_fail

SCHEMAS = {
    "ovs": "/usr/share/openvswitch/vswitch.ovsschema",
    "nb": "/usr/share/ovn/ovn-nb.ovsschema",
    "sb": "/usr/share/ovn/ovn-sb.ovsschema",
}
IN_DB = {
    "nb": "db:OVN_Northbound,NB_Global,connections",
    "sb": "db:OVN_Southbound,SB_Global,connections",
}


def _missing():
    tools = ("ovsdb-tool", "ovsdb-server", "ovs-vsctl", "ovn-nbctl", "ovn-sbctl")
    missing = [tool for tool in tools if not shutil.which(tool)]
    missing += [path for path in SCHEMAS.values() if not os.path.exists(path)]
    if missing:
        return (
            f"{', '.join(missing)} missing (apt-get install --no-install-recommends "
            "openvswitch-switch ovn-central ovn-common)"
        )
    return None


def _wait_for(path, proc, what):
    for _ in range(100):
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not create {path}")


class Servers:
    def __init__(self, base):
        self.base = base
        self.procs = []
        self.env = dict(os.environ, OVS_RUNDIR=str(base), OVS_LOGDIR=str(base))
        self.env.update(OVS_DBDIR=str(base), OVS_SYSCONFDIR=str(base))
        self.remotes = {}
        self.vswitchd = None

    def start(self, name, log):
        db = self.base / f"{name}.db"
        subprocess.run(["ovsdb-tool", "create", str(db), SCHEMAS[name]], check=True)
        sock = self.base / f"{name}.sock"
        cmd = ["ovsdb-server", "--no-chdir", f"--log-file={self.base / name}.log"]
        cmd += [f"--remote=punix:{sock}", f"--unixctl={self.base / name}.ctl"]
        if name in IN_DB:
            cmd.append(f"--remote={IN_DB[name]}")
        proc = subprocess.Popen([*cmd, str(db)], env=self.env, stdout=log, stderr=log)  # noqa: S603
        self.procs.append(proc)
        _wait_for(sock, proc, f"ovsdb-server {name}")
        self.remotes[name] = f"unix:{sock}"

    def vsctl(self, *args, check=True):
        cmd = ["ovs-vsctl", f"--db={self.remotes['ovs']}", "--timeout=10", *args]
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, check=check)

    def start_vswitchd(self, log):
        """ovs-vswitchd, userspace datapath only, in a new network namespace."""
        ctl = self.base / "vswitchd.ctl"
        script = (
            "ip link set lo up && exec ovs-vswitchd --disable-system --no-chdir "
            f"--log-file={self.base}/vswitchd.log --unixctl={ctl} {self.remotes['ovs']}"
        )
        proc = subprocess.Popen(  # noqa: S603
            ["unshare", "--net", "sh", "-c", script], env=self.env, stdout=log, stderr=log
        )
        self.procs.append(proc)
        _wait_for(ctl, proc, "ovs-vswitchd")
        self.vswitchd = proc

    def in_netns(self, *cmd):
        """Run a command in ovs-vswitchd's network namespace."""
        subprocess.run(["nsenter", "-t", str(self.vswitchd.pid), "-n", *cmd], check=True)  # noqa: S603

    def stop(self):
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    reason = _missing()
    if reason:
        skip_or_fail("the ovn functional tests", reason)
    base = tmp_path_factory.mktemp("ovsdb")
    servers = Servers(base)
    with (base / "servers.log").open("w") as log:
        try:
            for name in ("ovs", "nb", "sb"):
                servers.start(name, log)
            # What ovs-ctl does at start: the Open_vSwitch row.
            servers.vsctl("--no-wait", "init")
            if os.geteuid() == 0 and shutil.which("unshare") and shutil.which("nsenter"):
                servers.start_vswitchd(log)
            yield servers
        finally:
            servers.stop()


@pytest.fixture(scope="module")
def minion_overrides(servers):
    return {
        "ovn.ovs_remote": servers.remotes["ovs"],
        "ovn.nb_remote": servers.remotes["nb"],
        "ovn.sb_remote": servers.remotes["sb"],
        "ovn.timeout": 10,
    }


@pytest.fixture(scope="module")
def module(loaders):
    return loaders.modules.ovn


@pytest.fixture(scope="module")
def states(loaders):
    return loaders.states.ovn


@pytest.fixture
def vswitchd(servers):
    if servers.vswitchd is None:
        skip_or_fail(
            "the ovn functional tests",
            "the bridge tests need root, unshare and nsenter (util-linux)",
        )
    return servers


# --------------------------------------------------------------------------- connections


@pytest.mark.parametrize(
    ("db", "targets"),
    [("nb", ["ptcp:6641:127.0.0.1"]), ("sb", ["ptcp:6642:127.0.0.1", "pssl:16642:127.0.0.1"])],
)
def test_connection_state_and_module(module, states, servers, db, targets):
    module.set_connection(db, [])
    assert module.get_connection(db) == []
    dry = states.connection(name=db, targets=targets, test=True)
    assert dry.result is None
    assert module.get_connection(db) == []
    ret = states.connection(name=db, targets=targets)
    assert ret.result is True
    assert ret.changes == {"targets": {"old": [], "new": sorted(targets)}}
    assert module.get_connection(db) == sorted(targets)
    again = states.connection(name=db, targets=list(reversed(targets)))
    assert again.result is True
    assert again.changes == {}
    # Independently of the module: the client's own view.
    tool = {"nb": "ovn-nbctl", "sb": "ovn-sbctl"}[db]
    shown = subprocess.run(
        [tool, f"--db={servers.remotes[db]}", "get-connection"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert sorted(line.split()[-1] for line in shown.splitlines()) == sorted(targets)
    assert module.set_connection(db, []) == []


def test_unreachable_server_raises_with_the_clients_message(module):
    with pytest.raises(CommandExecutionError, match="database connection failed"):
        module.get_connection("nb", remote="unix:/nonexistent/ovnnb_db.sock")


# --------------------------------------------------------------------------- chassis


def test_chassis(module, servers):
    sbctl = ["ovn-sbctl", f"--db={servers.remotes['sb']}"]
    subprocess.run(
        [*sbctl, "chassis-add", "fn-compute1", "geneve", "192.0.2.11", "--", "set", "Chassis"]
        + ["fn-compute1", "hostname=fn-compute1"]
        + ['other_config:"ovn-bridge-mappings"="provider:br-provider"'],
        check=True,
    )
    try:
        found = module.chassis("fn-compute1")
        assert found["hostname"] == "fn-compute1"
        assert found["encaps"] == [
            {"type": "geneve", "ip": "192.0.2.11", "options": {"csum": "true"}}
        ]
        assert found["other_config"] == {"ovn-bridge-mappings": "provider:br-provider"}
        assert "fn-compute1" in [c["name"] for c in module.chassis()]
    finally:
        subprocess.run([*sbctl, "chassis-del", "fn-compute1"], check=True)
    assert module.chassis("fn-compute1") is None


# --------------------------------------------------------------------------- external_ids


def test_external_ids(module, states, servers):
    odd = 'enable-chassis-as-gw,availability-zones=az1 "q" ü'
    wanted = {"fn-system-id": "compute1", "fn-cms-options": odd}
    servers.vsctl("--no-wait", "set", "Open_vSwitch", ".", "external_ids:fn-other=keep")
    dry = states.ovs_external_ids(name="ids", ids=wanted, test=True)
    assert dry.result is None
    assert "fn-system-id" not in module.ovs_external_ids()
    ret = states.ovs_external_ids(name="ids", ids=wanted)
    assert ret.result is True
    assert ret.changes == {key: {"old": None, "new": value} for key, value in wanted.items()}
    ids = module.ovs_external_ids()
    assert ids["fn-cms-options"] == odd
    assert ids["fn-other"] == "keep"
    # ovs-vsctl's own reading of the value.
    got = servers.vsctl("get", "Open_vSwitch", ".", "external_ids:fn-system-id").stdout
    assert got.strip() == "compute1"
    assert states.ovs_external_ids(name="ids", ids=wanted).changes == {}
    ret = states.ovs_external_ids(name="ids", ids={"fn-cms-options": None})
    assert ret.changes == {"fn-cms-options": {"old": odd, "new": None}}
    ids = module.ovs_external_ids()
    assert "fn-cms-options" not in ids
    assert ids["fn-other"] == "keep"


# --------------------------------------------------------------------------- bridges


def test_bridge_state(module, states, vswitchd):
    vswitchd.in_netns("ip", "link", "add", "fn-eth2", "type", "veth", "peer", "name", "fn-eth2p")
    vswitchd.in_netns("ip", "link", "set", "fn-eth2", "up")
    try:
        dry = states.bridge(name="fn-br", datapath_type="netdev", ports=["fn-eth2"], test=True)
        assert dry.result is None
        assert module.bridge("fn-br") is None
        ret = states.bridge(name="fn-br", datapath_type="netdev", ports=["fn-eth2"])
        assert ret.result is True, ret.comment
        assert ret.changes["bridge"] == {"old": None, "new": "fn-br"}
        found = module.bridge("fn-br")
        assert found["datapath_type"] == "netdev"
        assert found["ports"] == ["fn-eth2"]
        assert found["interfaces"]["fn-eth2"]["error"] is None
        assert found["interfaces"]["fn-eth2"]["ofport"] > 0
        again = states.bridge(name="fn-br", datapath_type="netdev", ports=["fn-eth2"])
        assert again.result is True
        assert again.changes == {}
        # A port ovs-vswitchd cannot open: in the database, and the state fails.
        bad = states.bridge(name="fn-br", datapath_type="netdev", ports=["fn-eth2", "fn-nosuch"])
        assert bad.result is False
        assert "port fn-nosuch: interface fn-nosuch: could not open network device" in bad.comment
        assert bad.changes["ports"]["new"] == ["fn-eth2", "fn-nosuch"]
        assert (
            states.bridge(name="fn-br", datapath_type="netdev", ports=["fn-nosuch"]).result is False
        )
    finally:
        vswitchd.vsctl("--if-exists", "del-br", "fn-br")
        vswitchd.in_netns("ip", "link", "del", "fn-eth2")
    assert module.bridge("fn-br") is None


def test_port_of_another_bridge_is_refused(module, vswitchd):
    vswitchd.in_netns("ip", "link", "add", "fn-eth3", "type", "veth", "peer", "name", "fn-eth3p")
    try:
        module.add_bridge("fn-br1", datapath_type="netdev", ports=["fn-eth3"])
        with pytest.raises(CommandExecutionError, match="fn-eth3 is actually attached to bridge"):
            module.add_bridge("fn-br2", datapath_type="netdev", ports=["fn-eth3"])
        assert module.bridge_datapath("fn-br1") == "netdev"
    finally:
        vswitchd.vsctl("--if-exists", "del-br", "fn-br1")
        vswitchd.vsctl("--if-exists", "del-br", "fn-br2")
        vswitchd.in_netns("ip", "link", "del", "fn-eth3")
