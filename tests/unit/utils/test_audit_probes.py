"""
The audit's connection attempts (_utils/audit_probes.py) over real sockets
on 127.0.0.1: a listener (open), a closed port (refused), a listener whose
accept queue is full (the kernel drops the SYN: dropped), UDP (ICMP port
unreachable: refused; a silent socket: silent); and the three login
handshakes against small servers here that speak the real wire formats and
check what the client sent (AMQP 0-9-1's Start-Ok, MySQL's
mysql_native_password scramble, memcached's stats).
"""

import hashlib
import io
import json
import socket
import struct
import threading
import time

import pytest


@pytest.fixture
def probes(extension):
    return extension("_utils", "audit_probes")


def test_scan_open_refused_dropped(probes, listener, closed_port, full_backlog):
    targets = [
        {"address": "127.0.0.1", "port": listener, "proto": "tcp"},
        {"address": "127.0.0.1", "port": closed_port, "proto": "tcp"},
        {"address": "127.0.0.1", "port": full_backlog, "proto": "tcp"},
    ]
    started = time.monotonic()
    outcomes = probes.scan(targets, timeout=1)
    assert time.monotonic() - started < 2.5  # all at once, one timeout
    assert [o["outcome"] for o in outcomes] == ["open", "refused", "dropped"]
    assert outcomes[2]["detail"] == "no answer in 1 s"


def test_scan_udp(probes, closed_port):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        targets = [
            {"address": "127.0.0.1", "port": closed_port, "proto": "udp"},
            {"address": "127.0.0.1", "port": silent.getsockname()[1], "proto": "udp"},
        ]
        outcomes = probes.scan(targets, timeout=0.5)
        assert [o["outcome"] for o in outcomes] == ["refused", "silent"]
        assert silent.recv(8) == b"\0"  # the one byte sent
    finally:
        silent.close()


def test_scan_from_a_source_address(probes, listener):
    outcomes = probes.scan(
        [{"address": "127.0.0.1", "port": listener, "proto": "tcp"}], source="127.0.0.1"
    )
    assert outcomes[0]["outcome"] == "open"
    # an address this host does not have: the probe fails, proving nothing
    outcomes = probes.scan(
        [{"address": "127.0.0.1", "port": listener, "proto": "tcp"}], source="192.0.2.77"
    )
    assert outcomes[0]["outcome"] == "error"


def test_many_at_once_in_rounds(probes, listener, monkeypatch):
    monkeypatch.setattr(probes, "BATCH", 7)
    targets = [{"address": "127.0.0.1", "port": listener, "proto": "tcp"}] * 20
    assert {o["outcome"] for o in probes.scan(targets)} == {"open"}


def test_the_program_reads_json_and_writes_json(probes, listener, closed_port):
    request = {
        "targets": [
            {"address": "127.0.0.1", "port": listener, "proto": "tcp"},
            {"address": "127.0.0.1", "port": closed_port, "proto": "tcp"},
        ],
        "timeout": 1,
    }
    out = io.StringIO()
    assert probes.main(io.StringIO(json.dumps(request)), out) == 0
    assert [o["outcome"] for o in json.loads(out.getvalue())] == ["open", "refused"]


class Server(threading.Thread):
    """One connection on 127.0.0.1, handled by ``handler(conn)``; what the
    handler saw is kept in ``seen``."""

    def __init__(self, handler):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.seen = {}
        self.start()

    def run(self):
        conn, _ = self.sock.accept()
        conn.settimeout(5)
        try:
            self.handler(conn, self.seen)
        finally:
            conn.close()
            self.sock.close()


def recv_exact(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def amqp_frame(class_id, method_id, arguments):
    payload = struct.pack(">HH", class_id, method_id) + arguments
    return struct.pack(">BHI", 1, 0, len(payload)) + payload + b"\xce"


def amqp_broker(answer):
    def handler(conn, seen):
        seen["header"] = recv_exact(conn, 8)
        # Connection.Start: version 0-9, server properties {}, PLAIN, en_US
        conn.sendall(
            amqp_frame(
                10,
                10,
                b"\x00\x09" + b"\0\0\0\0" + struct.pack(">I", 5) + b"PLAIN" + b"\0\0\0\5en_US",
            )
        )
        kind, _, size = struct.unpack(">BHI", recv_exact(conn, 7))
        payload = recv_exact(conn, size + 1)[:-1]
        seen["method"] = struct.unpack(">HH", payload[:4])
        table = struct.unpack(">I", payload[4:8])[0]
        pos = 8 + table
        seen["properties"] = payload[8:pos]
        mech = payload[pos + 1 : pos + 1 + payload[pos]]
        pos += 1 + payload[pos]
        length = struct.unpack(">I", payload[pos : pos + 4])[0]
        seen["mechanism"], seen["response"] = mech, payload[pos + 4 : pos + 4 + length]
        if answer == "tune":
            conn.sendall(amqp_frame(10, 30, struct.pack(">HIH", 2047, 131072, 60)))
        elif answer == "close":
            text = b"ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"
            conn.sendall(
                amqp_frame(10, 50, struct.pack(">HB", 403, len(text)) + text + b"\0\0\0\0")
            )

    return handler


@pytest.mark.parametrize(
    ("answer", "outcome", "detail"),
    [
        ("close", "denied", "403 ACCESS_REFUSED - Login was refused"),
        ("tune", "logged in", "guest logged in"),
        ("hangup", "closed", "closed after the credentials"),
    ],
)
def test_amqp_login(probes, answer, outcome, detail):
    server = Server(amqp_broker(answer))
    got = probes.amqp_login("127.0.0.1", server.port, "guest", "guest", timeout=2)
    server.join(5)
    assert got["outcome"] == outcome and got["detail"].startswith(detail), got
    assert server.seen["header"] == b"AMQP\x00\x00\x09\x01"
    assert server.seen["method"] == (10, 11)
    assert server.seen["mechanism"] == b"PLAIN"
    assert server.seen["response"] == b"\0guest\0guest"
    assert b"authentication_failure_close" in server.seen["properties"]


def test_amqp_login_to_a_closed_port_is_refused(probes, closed_port):
    assert probes.amqp_login("127.0.0.1", closed_port)["outcome"] == "refused"


SALT = b"abcdefgh" + b"ijklmnopqrst"


def mysql_packet(seq, payload):
    size = len(payload)
    return bytes([size & 0xFF, size >> 8 & 0xFF, size >> 16 & 0xFF, seq]) + payload


def greeting():
    return (
        b"\x0a"
        + b"11.8.3-MariaDB\0"
        + struct.pack("<I", 7)
        + SALT[:8]
        + b"\0"
        + struct.pack("<H", 0xF7FF)
        + b"\x21"
        + struct.pack("<H", 2)
        + struct.pack("<H", 0x81BF)
        + bytes([21])
        + b"\0" * 10
        + SALT[8:]
        + b"\0"
        + b"mysql_native_password\0"
    )


def error(code, message):
    return b"\xff" + struct.pack("<H", code) + b"#28000" + message


def mariadb(stored_password, refuse_host=False, switch=False):
    """A MySQL-protocol server that checks the client's scramble the way the
    server does: SHA1(answer XOR SHA1(salt + stored)) == stored, stored =
    SHA1(SHA1(password))."""
    stored = hashlib.sha1(hashlib.sha1(stored_password.encode()).digest()).digest()

    def check(answer, salt):
        if len(answer) != 20:
            return False
        mix = hashlib.sha1(salt + stored).digest()
        stage1 = bytes(a ^ b for a, b in zip(answer, mix, strict=True))
        return hashlib.sha1(stage1).digest() == stored

    def handler(conn, seen):
        if refuse_host:
            conn.sendall(mysql_packet(0, error(1130, b"Host 'compute2' is not allowed")))
            return
        conn.sendall(mysql_packet(0, greeting()))
        header = recv_exact(conn, 4)
        payload = recv_exact(conn, header[0] | header[1] << 8)
        seen["seq"] = header[3]
        rest = payload[32:]
        user, _, rest = rest.partition(b"\0")
        answer = rest[1 : 1 + rest[0]]
        seen["user"], seen["plugin"] = user, rest[1 + rest[0] :].rstrip(b"\0")
        salt = SALT
        if switch:
            salt = b"zyxwvutsrqponmlkjihg"
            conn.sendall(mysql_packet(2, b"\xfemysql_native_password\0" + salt + b"\0"))
            header = recv_exact(conn, 4)
            answer = recv_exact(conn, header[0])
        if check(answer, salt):
            conn.sendall(mysql_packet(2, b"\x00\x00\x00\x02\x00\x00\x00"))
        else:
            conn.sendall(mysql_packet(2, error(1045, b"Access denied for user 'root'")))

    return handler


@pytest.mark.parametrize("switch", [False, True], ids=["direct", "auth-switch"])
@pytest.mark.parametrize(
    ("given", "outcome"), [("r00t-pw", "logged in"), ("wrong", "denied"), ("", "denied")]
)
def test_mysql_login(probes, given, outcome, switch):
    server = Server(mariadb("r00t-pw", switch=switch))
    got = probes.mysql_login("127.0.0.1", server.port, "root", given, timeout=2)
    server.join(5)
    assert got["outcome"] == outcome, got
    assert server.seen["user"] == b"root" and server.seen["plugin"] == b"mysql_native_password"
    assert server.seen["seq"] == 1
    if outcome == "denied":
        assert got["detail"] == "1045 Access denied for user 'root'"


def test_mysql_refuses_an_unknown_host_before_the_greeting(probes):
    server = Server(mariadb("x", refuse_host=True))
    got = probes.mysql_login("127.0.0.1", server.port, "root", "x")
    assert got == {"outcome": "denied", "detail": "1130 Host 'compute2' is not allowed"}


def test_mysql_to_something_else_is_closed(probes):
    server = Server(lambda conn, seen: conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n"))
    got = probes.mysql_login("127.0.0.1", server.port, "root", "x", timeout=1)
    assert got["outcome"] == "closed"


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        (b"STAT pid 4242\r\nSTAT version 1.6.21\r\nEND\r\n", "answered"),
        (b"ERROR\r\n", "closed"),
    ],
)
def test_memcached_stats(probes, reply, outcome):
    def handler(conn, seen):
        seen["request"] = conn.recv(64)
        conn.sendall(reply)

    server = Server(handler)
    got = probes.memcached_stats("127.0.0.1", server.port, timeout=1)
    server.join(5)
    assert server.seen["request"] == b"stats\r\n"
    assert got["outcome"] == outcome
    if outcome == "answered":
        assert got["detail"] == "stats: pid 4242, version 1.6.21"


def test_native_scramble_of_no_password_is_empty(probes):
    assert probes.native_scramble("", SALT) == b""
    assert len(probes.native_scramble("x", SALT)) == 20
