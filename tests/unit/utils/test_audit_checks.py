"""
What the audit compares (_utils/audit_checks.py): `ss` output captured from
real listeners (tests/unit/ss_output) and from a real socket this test opens,
against served_by entries as salt/firewall/services.jinja renders them;
nftables listings; the modes of files holding secrets; what each outside
probe may reach.
"""

import os
import socket
import subprocess

import pytest

from tests.support.paths import DATA

SS = (DATA / "ss_output" / "listening.txt").read_text()
LAN = "192.168.0.5"


def entry(name, ports, bind, *, proto="tcp", when=None, sources=(), public=False):
    address = {"lan": LAN, "loopback": "127.0.0.1"}.get(bind)
    return {
        "name": name,
        "proto": proto,
        "ports": [list(p) for p in ports],
        "bind": bind,
        "address": address,
        "sources": list(sources),
        "public": public,
        "when": when,
    }


# The controller's entries of the guide's map (a subset), as served_by has them.
CONTROLLER = [
    entry("ssh", [(22, 22)], "any", sources=["192.168.0.0/24"]),
    entry("mariadb", [(3306, 3306)], "lan", sources=[LAN]),
    entry("memcached", [(11211, 11211)], "lan", sources=["192.168.0.1"]),
    entry("ovsdb-local", [(6640, 6640)], "loopback"),
    entry("dashboard", [(80, 80), (443, 443)], "public", public=True),
    entry("gluster-bricks", [(49152, 49251)], "any"),
    entry("geneve", [(6081, 6081)], "any", proto="udp"),
    entry("vnc", [(5900, 5999)], "lan", when="instances"),
]


@pytest.fixture
def checks(extension):
    return extension("_utils", "audit_checks")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.0.0.0:22", ("0.0.0.0", None, 22)),
        ("[::]:22", ("::", None, 22)),
        ("*:80", ("*", None, 80)),
        ("127.0.0.53%lo:53", ("127.0.0.53", "lo", 53)),
        ("[fe80::1]%eth0:546", ("fe80::1", "eth0", 546)),
        ("[fe80::1%eth0]:546", ("fe80::1", "eth0", 546)),
        ("[::ffff:127.0.0.1]:6640", ("127.0.0.1", None, 6640)),
        ("0.0.0.0:*", ("0.0.0.0", None, None)),
    ],
)
def test_split_address(checks, text, expected):
    assert checks.split_address(text) == expected


def test_parse_the_captured_listing(checks):
    sockets = checks.parse_ss(SS)
    assert len(sockets) == len(SS.strip().splitlines()) == 14
    by = {(s["proto"], s["address"], s["port"]): s for s in sockets}
    assert by[("tcp", "0.0.0.0", 22)]["processes"] == ["sshd"]  # two sshd, one name
    assert by[("tcp", "*", 80)]["processes"] == ["apache2"]
    assert by[("udp", "127.0.0.53", 53)]["iface"] == "lo"
    assert by[("tcp", "::1", 25)]["processes"] == ["exim4"]
    assert by[("udp", "::1", 323)]["proto"] == "udp"


def test_a_kernel_socket_has_no_process(checks):
    (sock,) = checks.parse_ss("udp UNCONN 0 0 0.0.0.0:4789 0.0.0.0:*\n")
    assert sock["processes"] == []
    assert checks.socket_text(sock) == "0.0.0.0:4789/udp (no process shown)"


def test_classify_the_captured_listing(checks):
    out = checks.classify_sockets(checks.parse_ss(SS), CONTROLLER)
    # rpcbind (tcp and udp) on every address is nobody's
    assert sorted(out["unexpected"]) == [
        "0.0.0.0:111/tcp (rpcbind)",
        "0.0.0.0:111/udp (rpcbind)",
    ]
    assert sorted(out["expected"]) == [
        "dashboard",
        "gluster-bricks",
        "mariadb",
        "memcached",
        "ovsdb-local",
        "ssh",
    ]
    assert out["expected"]["ssh"] == ["0.0.0.0:22/tcp (sshd)", "[::]:22/tcp (sshd)"]
    # local only: memcached's loopback socket (its entry binds the LAN),
    # chrony's, exim's, the resolver bound to lo
    assert sorted(out["loopback"]) == [
        "127.0.0.1:11211/tcp (memcached)",
        "127.0.0.1:323/udp (chronyd)",
        "127.0.0.53%lo:53/udp (dnsmasq)",
        "[::1]:25/tcp (exim4)",
        "[::1]:323/udp (chronyd)",
    ]
    assert out["silent"] == ["geneve 6081/udp on any address"]
    assert out["absent"] == [f"vnc 5900-5999/tcp on {LAN} (only instances)"]
    assert out["missing"] == []
    result, comment = checks.listening_verdict(out)
    assert result is False
    assert comment.startswith("not the role's: 0.0.0.0:111/udp (rpcbind), 0.0.0.0:111/tcp")
    assert "local only (loopback), not in the list: " in comment


def test_a_socket_bound_wider_than_its_entry_fails_with_where_it_belongs(checks):
    sockets = checks.parse_ss(
        'tcp LISTEN 0 80 0.0.0.0:3306 0.0.0.0:* users:(("mariadbd",pid=1,fd=3))\n'
        'tcp LISTEN 0 80 [::]:6640 [::]:* users:(("ovsdb-server",pid=2,fd=3))\n'
    )
    out = checks.classify_sockets(sockets, CONTROLLER)
    assert out["unexpected"] == [
        f"0.0.0.0:3306/tcp (mariadbd): mariadb binds {LAN}",
        "[::]:6640/tcp (ovsdb-server): ovsdb-local binds loopback",
    ]
    result, comment = checks.listening_verdict(out)
    assert result is False
    assert "nothing listens for: " in comment and "dashboard 80,443/tcp on any address" in comment


def test_every_socket_expected_passes(checks):
    entries = [e for e in CONTROLLER if e["name"] in ("ssh", "ovsdb-local")]
    sockets = checks.parse_ss(
        'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))\n'
        'tcp LISTEN 0 128 127.0.0.1:6640 0.0.0.0:* users:(("ovsdb-server",pid=2,fd=3))\n'
    )
    result, comment = checks.listening_verdict(checks.classify_sockets(sockets, entries))
    assert result is True
    assert comment == (
        "the role's: ovsdb-local 127.0.0.1:6640/tcp (ovsdb-server), ssh 0.0.0.0:22/tcp (sshd)"
    )


def test_a_real_listening_socket_is_found_by_the_real_ss(checks):
    """A socket this test opens, seen by the real ss (as root, with its process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        text = subprocess.run(
            ["ss", "-H", "-l", "-n", "-t", "-u", "-p"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    mine = [s for s in checks.parse_ss(text) if s["port"] == port and s["proto"] == "tcp"]
    assert [(s["address"], s["iface"]) for s in mine] == [("127.0.0.1", None)]
    if os.geteuid() == 0:
        assert mine[0]["processes"], mine  # root sees every process
    out = checks.classify_sockets(mine, [entry("test", [(port, port)], "loopback")])
    assert list(out["expected"]) == ["test"]
    out = checks.classify_sockets(mine, [entry("test", [(port, port)], "lan")])
    assert out["expected"] == {} and len(out["loopback"]) == 1


# --- the firewall listing --------------------------------------------------------

LOADED = """\
table inet openstack_salt {
	counter dropped {
	}

	chain input {
		type filter hook input priority filter; policy accept;
		iif "lo" accept
		ct state established,related accept
		tcp dport 22 ip saddr 192.168.0.0/24 accept
		tcp dport 3306 ip saddr 192.168.0.5 accept
		counter name "dropped" drop
	}
}
"""


def test_the_same_listing_has_no_difference(checks):
    assert checks.compare_listings(LOADED, LOADED.replace("\t", "  ")) == ([], [])


def test_a_rule_removed_and_one_added_are_named_with_their_chain(checks):
    live = LOADED.replace("\t\ttcp dport 22 ip saddr 192.168.0.0/24 accept\n", "").replace(
        "\t\tcounter name", "\t\ttcp dport 9999 accept\n\t\tcounter name"
    )
    missing, extra = checks.compare_listings(LOADED, live)
    assert missing == ["chain input: tcp dport 22 ip saddr 192.168.0.0/24 accept"]
    assert extra == ["chain input: tcp dport 9999 accept"]


def test_a_rule_moved_is_both_missing_and_extra(checks):
    lines = LOADED.splitlines(keepends=True)
    ssh, mysql = lines[8], lines[9]
    live = "".join(lines[:8] + [mysql, ssh] + lines[10:])
    missing, extra = checks.compare_listings(LOADED, live)
    assert len(missing) == 1 and len(extra) == 1
    assert missing[0].removeprefix("chain input: ") == extra[0].removeprefix("chain input: ")


# --- secrets in files -------------------------------------------------------------------

KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDx1Hc2w2lN0Lz7\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


def test_secret_needles(checks):
    needles = checks.secret_needles(
        {
            "nova_password": "s3cret-nova",
            "nova_migration_ssh_key": KEY,
            "nova_migration_ssh_pubkey": "ssh-ed25519 AAAA",
            "empty": "",
        }
    )
    assert sorted(needles) == ["nova_migration_ssh_key", "nova_password"]
    assert needles["nova_password"] == [b"s3cret-nova"]
    # the body but its first line (the format header every ed25519 key shares)
    assert needles["nova_migration_ssh_key"] == [b"QyNTUxOQAAACDx1Hc2w2lN0Lz7"]
    other_key = b"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    assert checks.secrets_in(other_key, needles) == []
    data = b"[keystone_authtoken]\npassword = s3cret-nova\n"
    assert checks.secrets_in(data, needles) == ["nova_password"]
    assert checks.secrets_in(b"QyNTUxOQAAACDx1Hc2w2lN0Lz7", needles) == ["nova_migration_ssh_key"]


@pytest.mark.parametrize(
    ("mode", "owner", "group", "expected_group", "problem"),
    [
        (0o100640, "root", "nova", "nova", None),
        (0o100600, "root", "root", None, None),
        (0o100640, "root", "root", None, None),
        (0o100440, "root", "nova", "nova", None),
        (0o100644, "root", "nova", "nova", "0644 root:nova: more than 0640"),
        (0o100660, "root", "nova", "nova", "0660 root:nova: more than 0640"),
        (0o100640, "root", "adm", "nova", "its group may read it, and it is not nova"),
        (0o100640, "root", "www-data", None, "its group may read it, and it is not root"),
        (0o100600, "root", "www-data", None, None),
        (0o100600, "nova", "nova", None, None),
        (0o100640, "nova", "nova", "nova", "a file of nova's own must be 0600 or stricter"),
    ],
)
def test_mode_problem(checks, mode, owner, group, expected_group, problem):  # noqa: PLR0917
    found = checks.mode_problem(mode, owner, group, expected_group)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_address_list(checks):
    assert checks.address_list("192.168.0.2, 192.168.0.1,,") == ["192.168.0.1", "192.168.0.2"]
    assert checks.address_list(None) == []


# --- outside probes ---------------------------------------------------------------------

HOSTS = {"compute1": "192.168.0.1", "controller": LAN}
SERVED = {
    "compute1": [
        entry("ssh", [(22, 22)], "any", sources=["192.168.0.0/24"]),
        entry("glusterd", [(24007, 24007)], "any", sources=list(HOSTS.values())),
        entry("gluster-bricks", [(49152, 49153)], "any", sources=list(HOSTS.values())),
        entry("libvirt-migration", [(49152, 49153)], "lan", when="migrating"),
        entry("dashboard", [(80, 80), (443, 443)], "public", public=True),
        entry("geneve", [(6081, 6081)], "any", proto="udp"),
        entry("ovsdb-local", [(6640, 6640)], "loopback"),
    ],
    "controller": CONTROLLER[:3],
}


def test_outsider_targets(checks):
    targets = checks.outsider_targets(SERVED, HOSTS, "192.168.0.254")
    by = {(t["address"], t["port"], t["proto"]): t for t in targets}
    assert by[("192.168.0.1", 22, "tcp")]["expect"] == "any"  # SSH from the LAN
    assert by[("192.168.0.1", 24007, "tcp")]["expect"] == "dropped"
    assert by[("192.168.0.1", 49152, "tcp")]["what"] == "compute1 gluster-bricks/libvirt-migration"
    assert by[("192.168.0.1", 6081, "udp")]["expect"] == "dropped"
    assert ("192.168.0.1", 6640, "tcp") not in by  # loopback: not reachable anyway
    assert by[(LAN, 3306, "tcp")]["expect"] == "dropped"
    assert len(targets) == len(by) == 7 + 3


def test_public_targets(checks):
    targets = checks.public_targets(SERVED, "compute1", "198.51.100.161")
    by = {(t["port"], t["proto"]): t for t in targets}
    assert {k for k, t in by.items() if t["expect"] == "open"} == {(80, "tcp"), (443, "tcp")}
    assert by[(3306, "tcp")]["expect"] == "dropped"  # the controller's port, tried there too
    assert by[(6081, "udp")]["expect"] == "dropped"
    assert all(t["address"] == "198.51.100.161" for t in targets)


def test_judge(checks):
    targets = [
        {"address": "a", "port": 1, "proto": "tcp", "what": "x", "expect": "dropped"},
        {"address": "a", "port": 2, "proto": "tcp", "what": "y", "expect": "dropped"},
        {"address": "a", "port": 3, "proto": "tcp", "what": "z", "expect": "open"},
        {"address": "a", "port": 4, "proto": "udp", "what": "u", "expect": "dropped"},
        {"address": "a", "port": 5, "proto": "tcp", "what": "s", "expect": "any"},
    ]
    outcomes = [
        {"outcome": "dropped"},
        {"outcome": "refused"},
        {"outcome": "open"},
        {"outcome": "silent"},
        {"outcome": "refused"},
    ]
    wrong, counts = checks.judge(targets, outcomes)
    assert wrong == ["a:2/tcp (y) refused, expected dropped"]
    assert counts == {"dropped": 1, "refused": 2, "open": 1, "silent": 1}
    wrong, _ = checks.judge(targets[2:3], [{"outcome": "dropped", "detail": "no answer in 2 s"}])
    assert wrong == ["a:3/tcp (z) dropped: no answer in 2 s, expected open"]
