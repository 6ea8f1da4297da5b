"""
The openstack_verify checks that run on the gateway or talk to the guest:
the credentials taken from pillar (never a file, never a command line), the
test key pair, the config drive boot, tenant isolation, nova-status, and
live migration with its network probe. Only the command runner
(`cmd.run_all`: the `openstack` client, ssh, ssh-keygen, su) is faked; the
probe connects to a real TCP listener on this machine.
"""

import json
import os
import socket
import threading

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

SERVER_ID = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
CREDENTIALS = {
    "OS_AUTH_URL": "http://controller:5000/v3",
    "OS_USERNAME": "admin",
    "OS_PASSWORD": {"pillar": "openstack:secrets:admin_password"},
    "OS_PROJECT_NAME": "admin",
}
PILLAR = {"openstack": {"secrets": {"admin_password": "pillar s3cret"}}}


class Runner:
    """`cmd.run_all`: answers per program; `openstack` by its words (the
    words without options, joined by '_'), each answer a value or a list of
    values taken in turn; records every call."""

    def __init__(self):
        self.calls = []
        self.openstack = {"keypair_list": [[]]}
        self.ssh = []
        self.su = {"retcode": 0, "stdout": "", "stderr": ""}

    def __call__(self, cmd, env=None, **kwargs):
        self.calls.append((cmd, env))
        if cmd[0] == "openstack":
            words = [w for w in cmd[1:] if not w.startswith("-") and w != "json"]
            key = "_".join(words[:3])
            for size in (3, 2):
                key = "_".join(words[:size])
                if key in self.openstack:
                    break
            answers = self.openstack.get(key, [""])
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            if isinstance(answer, dict) and "retcode" in answer:
                return answer
            text = answer if isinstance(answer, str) else json.dumps(answer)
            return {"retcode": 0, "stdout": text, "stderr": ""}
        if cmd[0] == "ssh-keygen":
            path = cmd[cmd.index("-f") + 1]
            with open(path, "w", encoding="utf-8") as fh_:
                fh_.write("PRIVATE\n")
            with open(path + ".pub", "w", encoding="utf-8") as fh_:
                fh_.write("ssh-ed25519 AAAA verify-key\n")
            return {"retcode": 0, "stdout": "", "stderr": ""}
        if cmd[0] == "ssh":
            answer = self.ssh.pop(0) if len(self.ssh) > 1 else self.ssh[0]
            return dict({"retcode": 0, "stdout": "", "stderr": ""}, **answer)
        if cmd[0] == "su":
            return self.su
        raise AssertionError(f"unexpected command {cmd}")

    def commands(self, program):
        return [cmd for cmd, _ in self.calls if cmd[0] == program]


@pytest.fixture
def runner():
    return Runner()


@pytest.fixture
def verify(extension, tmp_path, monkeypatch):
    module = extension("_modules", "openstack_verify")
    monkeypatch.setattr(module, "KEY_DIR", str(tmp_path / "keys"))
    return module


@pytest.fixture
def configure_loader_modules(verify, runner):
    return {verify: {"__salt__": {"cmd.run_all": runner}, "__pillar__": PILLAR}}


def server(ip="127.0.0.1", host="compute2", status="ACTIVE"):
    return {
        "id": SERVER_ID,
        "status": status,
        "addresses": {"provider": [ip]},
        "OS-EXT-SRV-ATTR:host": host,
    }


def test_the_password_comes_from_pillar_into_the_environment_only(verify, runner):
    runner.openstack["token_issue"] = [{"id": "t", "user_id": "u", "project_id": "p"}]
    assert verify.token(openrc=CREDENTIALS)["result"] is True
    cmd, env = runner.calls[0]
    assert env["OS_PASSWORD"] == "pillar s3cret" and env["OS_USERNAME"] == "admin"
    assert not any("s3cret" in word for word in cmd)


def test_credentials_name_the_key_that_is_missing(verify):
    missing = dict(CREDENTIALS, OS_PASSWORD={"pillar": "openstack:secrets:nope"})
    with pytest.raises(CommandExecutionError, match="pillar openstack:secrets:nope"):
        verify.token(openrc=missing)
    with pytest.raises(CommandExecutionError, match="no OS_AUTH_URL"):
        verify.token(openrc={"OS_USERNAME": "admin"})
    with pytest.raises(CommandExecutionError, match="OS_PROJECT_NAME must be a string"):
        verify.token(openrc=dict(CREDENTIALS, OS_PROJECT_NAME=["admin"]))


def test_network_agents_accept_either_of_two_types(verify, runner):
    runner.openstack["network_agent_list"] = [
        [
            {"Agent Type": "OVN Controller Gateway agent", "Host": "compute1"},
            {"Agent Type": "OVN Controller agent", "Host": "compute2"},
            {"Agent Type": "OVN Metadata agent", "Host": "compute1"},
        ]
    ]
    for agent in runner.openstack["network_agent_list"][0]:
        agent.update(Alive=True, State=True)
    expected = {
        "OVN Controller agent|OVN Controller Gateway agent": ["compute1", "compute2"],
        "OVN Metadata agent": ["compute1", "compute2"],
    }
    out = verify.network_agents(expected, openrc=CREDENTIALS)
    assert out["result"] is False
    assert out["comment"] == "missing: OVN Metadata agent on compute2"


def test_keypair_is_made_here_0600_and_registered(verify, runner, tmp_path):
    runner.openstack["keypair_list"] = [[{"Name": "verify-key"}]]
    runner.openstack["keypair_create"] = [{"fingerprint": "SHA256:abc"}]
    out = verify.keypair(openrc=CREDENTIALS)
    key = tmp_path / "keys" / "verify-key"
    assert out["result"] is True and "SHA256:abc" in out["comment"]
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "keys").stat().st_mode & 0o777) == "0o700"
    ran = [cmd[1:3] for cmd in runner.commands("openstack")]
    assert ran == [["keypair", "list"], ["keypair", "delete"], ["keypair", "create"]]
    assert str(key) + ".pub" in runner.commands("openstack")[-1]
    # the gateway's cleanup deletes the local key and asks the cloud nothing
    out = verify.cleanup(cloud=False, openrc=CREDENTIALS)
    assert out["result"] is True and not key.exists()
    assert len(runner.commands("openstack")) == 3


def test_boot_needs_the_key_pair(verify, runner):
    out = verify.boot("testguest", "m1.small", "provider", openrc=CREDENTIALS)
    assert out["result"] is False and "openstack_verify.keypair makes it" in out["comment"]


@pytest.mark.parametrize(
    "console,result,says",
    [
        (f"booting\nCONFIG DRIVE uuid={SERVER_ID}\nTESTGUEST READY 10.0.0.9", True, "read uuid="),
        ("CONFIG DRIVE uuid=0000\n", False, "the config drive says uuid=0000"),
    ],
)
def test_config_drive(verify, runner, console, result, says):
    runner.openstack["keypair_list"] = [[{"Name": "verify-key"}]]
    runner.openstack["server_show"] = [server()]
    runner.openstack["console_log_show"] = [console]
    out = verify.config_drive(
        "testguest", "m1.small", "provider", host="compute2", openrc=CREDENTIALS
    )
    assert out["result"] is result and says in out["comment"], out
    create = next(c for c in runner.commands("openstack") if c[1:3] == ["server", "create"])
    assert create[create.index("--config-drive") + 1] == "true"
    assert "verify-cdrom" in create
    # the server is deleted after the check, whatever it found
    assert runner.commands("openstack")[-1][1:4] == ["server", "delete", "verify-cdrom"]


def test_ports_expand_ranges_and_refuse_nonsense(verify):
    assert verify._ports([22, "49152-49154", 22]) == [22, 49152, 49153, 49154]  # noqa: SLF001
    with pytest.raises(SaltInvocationError, match="'70000' is not a port"):
        verify._ports(["70000"])  # noqa: SLF001


def probe_lines(outcomes):
    return "\n".join(f"PROBE {where} {said}" for where, said in outcomes) + "\nPROBES DONE\n"


def test_isolation_passes_on_timeouts_only(verify, runner):
    runner.openstack["server_show"] = [server("10.0.0.9")]
    timeouts = [(f"192.168.0.{n}:{p}", "nc: timed out") for n in (1, 5) for p in (22, 3306)]
    runner.ssh = [
        {"stdout": probe_lines(timeouts)},
        {"stdout": "  HTTP/1.1 200 OK\n"},
    ]
    out = verify.isolation(
        ["192.168.0.1", "192.168.0.5"],
        [22, 3306],
        "provider",
        url="http://100.64.250.1:3142/",
        openrc=CREDENTIALS,
    )
    assert out["result"] is True, out
    assert "4 connects (2 addresses x 2 ports) timed out" in out["comment"]
    script = runner.commands("ssh")[0][-1]
    assert "nc -w 2" in script and "192.168.0.5" in script and "3306" in script


def test_isolation_fails_on_a_refusal_a_connection_or_a_dead_outside(verify, runner):
    runner.openstack["server_show"] = [server("10.0.0.9")]
    outcomes = [
        ("192.168.0.1:22", "nc: timed out"),
        ("192.168.0.1:3306", "connected"),
        ("192.168.0.5:22", "nc: can't connect to remote host (192.168.0.5): Connection refused"),
    ]
    runner.ssh = [{"stdout": probe_lines(outcomes)}, {"stdout": "wget: bad address"}]
    out = verify.isolation(
        ["192.168.0.1", "192.168.0.5"], [22, 3306], "provider", url="http://x/", openrc=CREDENTIALS
    )
    assert out["result"] is False
    assert "3 of 4 probes reported" in out["comment"]
    assert (
        "2 answered: 192.168.0.1:3306 (connected), 192.168.0.5:22 (can't connect"
        in (out["comment"])
    )
    assert "the outside does not answer either: http://x/ (wget: bad address)" in out["comment"]


NOVA_STATUS = """\
+-------------------------------------------+
| Upgrade Check Results                     |
+-------------------------------------------+
| Check: Cells v2                           |
| Result: Success                           |
| Details: None                             |
+-------------------------------------------+
| Check: Policy File JSON to YAML Migration |
| Result: {result}                           |
| Details: Your policy file is JSON-        |
|   formatted which is deprecated.          |
+-------------------------------------------+
"""


@pytest.mark.parametrize(
    "retcode,result,starts",
    [(0, True, "Cells v2: Success"), (1, True, "warning: "), (2, False, "failure: ")],
)
def test_nova_status(verify, runner, retcode, result, starts):
    word = {0: "Success", 1: "Warning", 2: "Failure"}[retcode]
    runner.su = {"retcode": retcode, "stdout": NOVA_STATUS.format(result=word), "stderr": ""}
    out = verify.nova_status()
    assert out["result"] is result and out["comment"].startswith(starts), out
    if retcode:
        assert (
            f"Policy File JSON to YAML Migration: {word}: Your policy file is JSON- "
            "formatted which is deprecated." in out["comment"]
        )
    assert runner.calls[0][0] == ["su", "-s", "/bin/sh", "-c", "nova-status upgrade check", "nova"]


def test_nova_status_that_cannot_run_raises(verify, runner):
    runner.su = {"retcode": 127, "stdout": "", "stderr": "nova-status: not found"}
    with pytest.raises(CommandExecutionError, match="exited 127: nova-status: not found"):
        verify.nova_status()


@pytest.mark.parametrize(
    "samples,expected",
    [
        ([(0, True), (0.5, True), (1.0, True)], (0.0, 0, True)),
        ([(0, True), (0.5, False), (1.0, False), (1.5, False), (2.0, True)], (1.5, 3, True)),
        ([(0, True), (0.5, False), (1.0, False)], (1.0, 2, False)),
        ([(0, False)], (None, 1, False)),
    ],
)
def test_downtime(verify, samples, expected):
    assert verify._downtime(samples, 0.5) == expected  # noqa: SLF001


@pytest.fixture
def listener():
    """A real TCP listener on 127.0.0.1 that accepts and closes: the guest's
    port 22 for the probe; `down()` closes it for a while."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    stop = threading.Event()

    def serve():
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join()
    sock.close()


def test_probe_sees_a_listener_and_a_closed_port(verify, listener):
    probe = verify._Probe("127.0.0.1", listener, 0.1)  # noqa: SLF001
    probe.start()
    threading.Event().wait(0.35)
    samples = probe.stop()
    assert len(samples) >= 3 and all(ok for _, ok in samples)
    # a refused connect is an answer too (the network carried it)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    probe = verify._Probe("127.0.0.1", port, 0.1)  # noqa: SLF001
    assert probe.attempt() is True
    # a listener whose queue is full drops the SYN: no answer, a timeout
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    held = socket.create_connection(full.getsockname())
    try:
        probe = verify._Probe("127.0.0.1", full.getsockname()[1], 0.2)  # noqa: SLF001
        assert probe.attempt() is False
    finally:
        held.close()
        full.close()


@pytest.fixture
def disk(tmp_path):
    path = tmp_path / "instances" / SERVER_ID
    path.mkdir(parents=True)
    (path / "disk").write_text("qcow2")
    return str(tmp_path / "instances")


def test_live_migration_reports_downtime_and_ssh(verify, runner, listener, disk):
    runner.openstack["server_show"] = [server(host="compute2"), server(host="compute3")]
    runner.openstack["server_migrate"] = [""]
    runner.ssh = [{"stdout": " 10:00:00 up 5 min"}]
    out = verify.live_migrate(
        "compute3",
        "provider",
        instances_dir=disk,
        probe_interval=0.1,
        probe_port=listener,
        openrc=CREDENTIALS,
    )
    assert out["result"] is True, out
    assert out["comment"].startswith("compute2 -> compute3 in ")
    assert "downtime 0.0 s (0 of " in out["comment"] and "SSH " in out["comment"]
    assert "NOTE" not in out["comment"]
    migrate = next(c for c in runner.commands("openstack") if c[1:3] == ["server", "migrate"])
    assert "--shared-migration" in migrate and migrate[migrate.index("--host") + 1] == "compute3"


def test_live_migration_fails_without_ssh_and_with_a_new_disk(verify, runner, listener, disk):
    runner.openstack["server_show"] = [server(host="compute2"), server(host="compute3")]

    def copied(*args, **kwargs):
        # the migration writes a new disk file: another inode
        os.rename(os.path.join(disk, SERVER_ID, "disk"), os.path.join(disk, "old"))
        with open(os.path.join(disk, SERVER_ID, "disk"), "w", encoding="utf-8") as fh_:
            fh_.write("copy")
        return {"retcode": 0, "stdout": "", "stderr": ""}

    runner.openstack["server_migrate"] = [{"retcode": 0, "stdout": "", "stderr": ""}]
    original = runner.__call__

    def run(cmd, env=None, **kwargs):
        if cmd[:3] == ["openstack", "server", "migrate"]:
            runner.calls.append((cmd, env))
            return copied()
        return original(cmd, env=env, **kwargs)

    runner.ssh = [{"retcode": 255, "stderr": "Connection timed out"}]
    verify.__salt__["cmd.run_all"] = run
    out = verify.live_migrate(
        "compute3",
        "provider",
        instances_dir=disk,
        probe_interval=0.1,
        probe_port=listener,
        ssh_window=1,
        openrc=CREDENTIALS,
    )
    assert out["result"] is False
    assert "is a new file" in out["comment"]
    assert "no SSH answer within 1 s after the migration" in out["comment"]
    assert "Connection timed out" in out["comment"] and "downtime " in out["comment"]


def test_live_migration_refuses_the_host_it_is_on(verify, runner, disk):
    runner.openstack["server_show"] = [server(host="compute3")]
    with pytest.raises(SaltInvocationError, match="already runs on compute3"):
        verify.live_migrate("compute3", "provider", instances_dir=disk, openrc=CREDENTIALS)
