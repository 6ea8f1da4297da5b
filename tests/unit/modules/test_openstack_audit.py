"""
The openstack_audit execution module: each check's PASS/FAIL and what it
says, over real inputs where they run here: the real `ss` seeing a socket
this test opens, real files with real modes and owners, real TCP attempts on
127.0.0.1 (a stand-in Keystone, a MySQL-protocol server). Only what needs a
cloud is given as captured output (nft's listing, rabbitmqctl's JSON,
MariaDB's mysql.global_priv rows).
"""

import grp
import http.server
import json
import os
import pwd
import socket
import subprocess
import threading

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support.paths import DATA

SECRETS = {
    "nova_password": "nova-Secret-0123456789",
    "mysql_root_password": "root-Secret-0123456789",
    "nova_migration_ssh_pubkey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 nova-migration",
}
PILLAR = {"openstack": {"secrets": SECRETS}}
LAN = "192.168.0.5"


class Commands:
    """`cmd.run_all`: a real run, or a canned answer per program."""

    def __init__(self):
        self.answers = {}
        self.calls = []

    def __call__(self, cmd, **kwargs):
        self.calls.append(cmd)
        if cmd[0] in self.answers:
            return dict({"retcode": 0, "stdout": "", "stderr": ""}, **self.answers[cmd[0]])
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        return {"retcode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


@pytest.fixture
def commands():
    return Commands()


@pytest.fixture
def audit(extension):
    return extension("_modules", "openstack_audit")


@pytest.fixture
def configure_loader_modules(audit, commands):
    return {audit: {"__salt__": {"cmd.run_all": commands}, "__pillar__": PILLAR}}


def entry(name, ports, bind, proto="tcp", when=None):
    return {
        "name": name,
        "proto": proto,
        "ports": ports,
        "bind": bind,
        "address": {"lan": LAN, "loopback": "127.0.0.1"}.get(bind),
        "sources": [],
        "public": False,
        "when": when,
    }


# --- a: listening sockets --------------------------------------------------------


def test_listening_with_the_captured_listing(audit, commands):
    commands.answers["ss"] = {"stdout": (DATA / "ss_output" / "listening.txt").read_text()}
    expected = [
        entry("ssh", [[22, 22]], "any"),
        entry("mariadb", [[3306, 3306]], "lan"),
        entry("memcached", [[11211, 11211]], "lan"),
        entry("ovsdb-local", [[6640, 6640]], "loopback"),
        entry("dashboard", [[80, 80]], "public"),
        entry("gluster-bricks", [[49152, 49251]], "any"),
        entry("vnc", [[5900, 5999]], "lan", when="instances"),
    ]
    out = audit.listening(expected)
    assert out["result"] is False
    assert out["comment"].startswith("14 sockets; not the role's: 0.0.0.0:111/udp (rpcbind)")
    assert commands.calls == [["ss", "-H", "-l", "-n", "-t", "-u", "-p"]]
    # without rpcbind: a pass, with the loopback ones reported
    commands.answers["ss"]["stdout"] = "".join(
        line
        for line in (DATA / "ss_output" / "listening.txt").read_text().splitlines(True)
        if "rpcbind" not in line
    )
    out = audit.listening(expected)
    assert out["result"] is True, out
    assert "local only (loopback), not in the list: " in out["comment"]
    assert "not now: vnc 5900-5999/tcp" in out["comment"]


def test_listening_finds_a_real_socket_with_the_real_ss(audit):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        out = audit.listening([entry("mine", [[port, port]], "loopback")])
    assert f"mine 127.0.0.1:{port}/tcp (" in out["comment"]


def test_listening_wants_a_list(audit):
    with pytest.raises(SaltInvocationError):
        audit.listening({"ssh": 22})


# --- b: the firewall ------------------------------------------------------------------

LOADED = """table inet openstack_salt {
	chain input {
		type filter hook input priority filter; policy accept;
		iif "lo" accept
		tcp dport 22 ip saddr 192.168.0.0/24 accept
		counter name "dropped" drop
	}
}
"""


@pytest.fixture
def state_dir(tmp_path):
    (tmp_path / "firewall.loaded").write_text(LOADED)
    return str(tmp_path)


def test_firewall_as_loaded(audit, commands, state_dir):
    commands.answers["nft"] = {"stdout": LOADED}
    out = audit.firewall(state_dir)
    assert out == {
        "result": True,
        "comment": f"table inet openstack_salt is the one loaded ({state_dir}/firewall.loaded, "
        "8 lines)",
    }
    assert commands.calls == [["nft", "-s", "list", "table", "inet", "openstack_salt"]]


def test_firewall_a_rule_removed_by_hand(audit, commands, state_dir):
    commands.answers["nft"] = {
        "stdout": LOADED.replace("\t\ttcp dport 22 ip saddr 192.168.0.0/24 accept\n", "")
    }
    out = audit.firewall(state_dir)
    assert out["result"] is False
    assert (
        "1 line(s) loaded but gone: chain input: tcp dport 22 ip saddr 192.168.0.0/24 accept"
        in (out["comment"])
    )


def test_firewall_table_gone_or_never_loaded(audit, commands, state_dir, tmp_path):
    commands.answers["nft"] = {
        "retcode": 1,
        "stderr": "Error: No such file or directory\nlist table inet openstack_salt\n",
    }
    out = audit.firewall(state_dir)
    assert out == {
        "result": False,
        "comment": "no table inet openstack_salt in the kernel (Error: No such file or directory)",
    }
    out = audit.firewall(str(tmp_path / "nowhere"))
    assert out["result"] is False and "the states never loaded the firewall here" in out["comment"]


# --- c: attempts that must fail -------------------------------------------------------


def test_denied_tcp(audit, closed_port):
    out = audit.denied("tcp", "127.0.0.1", [closed_port], timeout=1)
    assert out == {"result": True, "comment": f"kept out: 127.0.0.1:{closed_port} refused"}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        out = audit.denied("tcp", "127.0.0.1", [closed_port, port], timeout=1)
    assert out["result"] is False
    assert out["comment"] == (
        f"got in or could not tell: 127.0.0.1:{closed_port} refused, 127.0.0.1:{port} open"
    )


def test_denied_mysql_reads_the_password_from_pillar(audit, closed_port):
    out = audit.denied(
        "mysql",
        "127.0.0.1",
        closed_port,
        user="root",
        password={"pillar": "openstack:secrets:mysql_root_password"},
    )
    assert out == {"result": True, "comment": f"kept out as root: 127.0.0.1:{closed_port} refused"}
    with pytest.raises(CommandExecutionError, match="openstack:secrets:nothing is not in"):
        audit.denied(
            "mysql",
            "127.0.0.1",
            closed_port,
            user="root",
            password={"pillar": "openstack:secrets:nothing"},
        )
    with pytest.raises(SaltInvocationError):
        audit.denied("ftp", "127.0.0.1", closed_port)


def test_denied_memcached_answering_fails(audit):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer():
        conn, _ = server.accept()
        conn.recv(64)
        conn.sendall(b"STAT pid 7\r\nSTAT version 1.6.21\r\nEND\r\n")
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    out = audit.denied("memcached", "127.0.0.1", server.getsockname()[1])
    server.close()
    assert out["result"] is False and "answered (stats: pid 7, version 1.6.21)" in out["comment"]


@pytest.mark.parametrize(
    ("value", "result", "says"),
    [
        ("192.168.0.2,192.168.0.1", True, "vm-instances auth.allow = 192.168.0.1,192.168.0.2"),
        ("*", False, "beyond the host map: *; host map addresses missing: 192.168.0.1"),
        ("192.168.0.1", False, "host map addresses missing: 192.168.0.2"),
    ],
)
def test_gluster_auth_allow(audit, value, result, says):
    audit.__salt__["gluster.get_options"] = lambda name: {
        "auth.allow": value,
        "auth.reject": "NONE",
    }
    out = audit.gluster_auth_allow("vm-instances", ["192.168.0.1", "192.168.0.2"])
    assert out["result"] is result and says in out["comment"], out


def test_gluster_auth_allow_without_gluster(audit):
    out = audit.gluster_auth_allow("vm-instances", ["192.168.0.1"])
    assert out["result"] is False and "no gluster CLI" in out["comment"]


# --- d: files holding secrets -------------------------------------------------------


def _file(path, text, mode, group="root", owner="root"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chown(path, pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid)
    os.chmod(path, mode)
    return path


@pytest.fixture
def etc(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("owners and groups need root")
    root = tmp_path / "etc"
    _file(
        root / "nova" / "nova.conf",
        f"[x]\npassword = {SECRETS['nova_password']}\n",
        0o640,
        group="daemon",
    )
    _file(root / "nova" / "api-paste.ini", "[pipeline]\nno secret here\n", 0o644)
    _file(root / "root" / ".my.cnf", f"password = {SECRETS['mysql_root_password']}\n", 0o600)
    _file(root / "root" / "id.pub", SECRETS["nova_migration_ssh_pubkey"], 0o644)
    (root / "nova" / "link.conf").symlink_to(root / "root" / ".my.cnf")
    return root


def test_secret_files_protected(audit, etc):
    groups = {str(etc / "nova" / "nova.conf"): "daemon"}
    out = audit.secret_files([str(etc / "nova"), str(etc / "root"), "/nonexistent"], groups)
    assert out["result"] is True, out
    assert out["comment"] == (
        f"2 hold secrets, each protected: {etc}/nova/nova.conf 0640 root:daemon (nova_password); "
        f"{etc}/root/.my.cnf 0600 root:root (mysql_root_password)"
    )
    assert SECRETS["nova_password"] not in out["comment"]


def test_secret_files_exposed(audit, etc):
    os.chmod(etc / "root" / ".my.cnf", 0o644)
    out = audit.secret_files([str(etc)], {})  # nova.conf's group is not known to be nova's
    assert out["result"] is False
    assert out["comment"].startswith("2 exposed: ")
    assert (
        f"{etc}/nova/nova.conf 0640 root:daemon: its group may read it, and it is not root"
        in (out["comment"])
    )
    assert (
        f"{etc}/root/.my.cnf 0644 root:root: more than 0640 (mysql_root_password)"
        in (out["comment"])
    )
    assert "4 files under" in out["comment"]  # the symlink is not followed


def test_secret_files_needs_the_secrets(audit, configure_loader_modules, etc):
    audit.__pillar__ = {}
    out = audit.secret_files([str(etc)])
    assert out["result"] is False and "no secrets in this minion's pillar" in out["comment"]


# --- e: no default password ---------------------------------------------------------


class Keystone(http.server.BaseHTTPRequestHandler):
    """A stand-in for POST /v3/auth/tokens: 201 for the pillar's password."""

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        user = body["auth"]["identity"]["password"]["user"]
        good = user["name"] == "nova" and user["password"] == SECRETS["nova_password"]
        self.send_response(201 if good else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def keystone():
    server = http.server.HTTPServer(("127.0.0.1", 0), Keystone)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v3"
    server.shutdown()


def test_keystone_users(audit, keystone):
    out = audit.keystone_users(keystone, {"nova": "openstack:secrets:nova_password"})
    assert out == {
        "result": True,
        "comment": "1 users log in with their pillar password: nova (201)",
    }
    out = audit.keystone_users(
        keystone,
        {
            "nova": "openstack:secrets:nova_password",
            "glance": "openstack:secrets:mysql_root_password",
        },
    )
    assert out == {"result": False, "comment": "refused their pillar password: glance (401)"}


def test_keystone_unreachable(audit, closed_port):
    with pytest.raises(CommandExecutionError, match="Keystone at"):
        audit.keystone_users(
            f"http://127.0.0.1:{closed_port}/v3", {"nova": "openstack:secrets:nova_password"}
        )


def test_rabbitmq_users(audit, commands):
    commands.answers["rabbitmqctl"] = {
        "stdout": '[\n{"user":"openstack","tags":[]}\n'
        ',{"user":"guest","tags":["administrator"]}\n]\n'
    }
    out = audit.rabbitmq_users()
    assert out["result"] is False and out["comment"].startswith("default user(s) present: guest")
    commands.answers["rabbitmqctl"] = {"stdout": '[\n{"user":"openstack","tags":[]}\n]\n'}
    assert audit.rabbitmq_users() == {"result": True, "comment": "no guest; users: openstack"}
    assert commands.calls[-1] == ["rabbitmqctl", "-q", "list_users", "--formatter", "json"]


# MariaDB 11.8's mysql.global_priv rows for root (user, host, priv):
# Debian's default (no password: the 'invalid' placeholder, or the socket),
# then root@localhost as database.server leaves it (socket or a password).
DEBIAN_ROOT = (
    '{"access":18446744073709551615,"version_id":110803,"plugin":"mysql_native_password",'
    '"authentication_string":"invalid","auth_or":[{},{"plugin":"unix_socket"}]}'
)
SALT_ROOT = (
    '{"access":18446744073709551615,"version_id":110803,"plugin":"unix_socket",'
    '"authentication_string":"","auth_or":[{},{"plugin":"mysql_native_password",'
    '"authentication_string":"*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9"}]}'
)
REMOTE_ROOT = '{"plugin":"mysql_native_password","authentication_string":"*6BB4837EB7432910"}'


def test_root_logins(audit):
    assert audit.root_logins([("root", "localhost", DEBIAN_ROOT)]) == []
    assert audit.root_logins([("root", "localhost", SALT_ROOT)]) == [
        ("localhost", "mysql_native_password")
    ]
    assert audit.root_logins([("root", "%", REMOTE_ROOT)]) == [("%", "mysql_native_password")]


def test_mariadb_root(audit, commands, closed_port):
    commands.answers["mysql"] = {"stdout": f"root\tlocalhost\t{SALT_ROOT}\n"}
    out = audit.mariadb_root(
        "127.0.0.1", closed_port, password={"pillar": "openstack:secrets:mysql_root_password"}
    )
    assert out["result"] is True, out
    assert out["comment"].startswith(
        "password logins of root: root@localhost (mysql_native_password) (local socket only); "
        f"TCP 127.0.0.1:{closed_port} with root's password: refused"
    )
    assert SECRETS["mysql_root_password"] not in json.dumps(commands.calls)
    commands.answers["mysql"] = {
        "stdout": f"root\tlocalhost\t{SALT_ROOT}\nroot\t%\t{REMOTE_ROOT}\n"
    }
    out = audit.mariadb_root(
        "127.0.0.1", closed_port, password={"pillar": "openstack:secrets:mysql_root_password"}
    )
    assert out["result"] is False
    assert out["comment"].startswith(
        "root accounts with a password beyond localhost: root@% (mysql_native_password)"
    )
