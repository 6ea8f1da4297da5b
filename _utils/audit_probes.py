"""
The audit's connection attempts, standard library only, with short timeouts:
every outcome is one word (and a detail):

    open         a TCP connection was made
    refused      the host answered with a reset (or, UDP, ICMP port unreachable)
    dropped      no answer within the timeout: a firewall dropped it
    unreachable  an ICMP error (host or network unreachable, prohibited)
    silent       UDP: no answer within the timeout (dropped, or a listener
                 that says nothing to a stray datagram)
    denied       the service answered and refused the credentials
    logged in    the service accepted them
    answered     the service answered a request that needs no login
    closed       the service closed the connection without either
    error        the probe itself failed (it proves nothing)

- :func:`scan`: many TCP connects (and UDP datagrams) at once, non-blocking,
  all within one timeout;
- :func:`amqp_login`: AMQP 0-9-1's handshake with a PLAIN login (RabbitMQ);
- :func:`mysql_login`: the MySQL protocol's handshake, mysql_native_password
  (MariaDB);
- :func:`memcached_stats`: memcached's ``stats``.

Used by the ``openstack_audit`` execution module on the hosts (``import
audit_probes``: Salt's loader has ``_utils`` on ``sys.path``) and run as a
program by the ``openstack`` runner inside the lab's network namespace
(``nsenter --net=... python3 audit_probes.py``): a JSON request on stdin,
``{"targets": [{address, port, proto}], "source": null, "timeout": 2}``,
the outcomes as JSON on stdout.
"""

import errno
import hashlib
import json
import selectors
import socket
import struct
import sys
import time

try:
    import resource
except ImportError:  # pragma: no cover - not on Linux
    resource = None

TIMEOUT = 2.0
# At most this many sockets open at once (the rest wait for the next round).
BATCH = 1000

_UNREACHABLE = {
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.EACCES: "prohibited",
    errno.EPERM: "prohibited",
}


def _outcome(outcome, detail=""):
    return {"outcome": outcome, "detail": detail}


def errno_outcome(err):
    """The outcome of a connect's error number (0: connected)."""
    if err == 0:
        return _outcome("open")
    if err == errno.ECONNREFUSED:
        return _outcome("refused")
    if err in (errno.ETIMEDOUT,):
        return _outcome("dropped", "no answer")
    if err in _UNREACHABLE:
        return _outcome("unreachable", _UNREACHABLE[err])
    return _outcome("error", errno.errorcode.get(err, str(err)))


def _family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def _raise_fd_limit(wanted):
    if resource is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted + 64:
        target = wanted + 64 if hard == resource.RLIM_INFINITY else min(hard, wanted + 64)
        if target > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _start(target, source):  # noqa: PLR0911
    """A non-blocking socket for ``target``, its connect (TCP) or datagram
    (UDP) under way; ``(sock, outcome)``, outcome set when already known."""
    address, port = target["address"], int(target["port"])
    proto = target.get("proto", "tcp")
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    try:
        sock = socket.socket(_family(address), kind)
    except OSError as exc:
        return None, _outcome("error", str(exc))
    try:
        sock.setblocking(False)
        if source:
            sock.bind((source, 0))
        err = sock.connect_ex((address, port))
        if proto == "udp":
            if err:
                sock.close()
                return None, errno_outcome(err)
            sock.send(b"\0")
            return sock, None
        if err in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
            return sock, None
        sock.close()
        return None, errno_outcome(err)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.ECONNREFUSED and proto == "udp":
            return None, _outcome("refused", "ICMP port unreachable")
        return None, _outcome("error", str(exc))


def _finish_udp(sock):
    try:
        sock.recv(512)
        return _outcome("answered", "a datagram came back")
    except OSError as exc:
        if exc.errno == errno.ECONNREFUSED:
            return _outcome("refused", "ICMP port unreachable")
        return errno_outcome(exc.errno) if exc.errno else _outcome("error", str(exc))


def _round(targets, source, timeout):
    outcomes = [None] * len(targets)
    selector = selectors.DefaultSelector()
    for index, target in enumerate(targets):
        sock, outcome = _start(target, source)
        if sock is None:
            outcomes[index] = outcome
            continue
        event = selectors.EVENT_READ if target.get("proto") == "udp" else selectors.EVENT_WRITE
        selector.register(sock, event, index)
    deadline = time.monotonic() + timeout
    try:
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in selector.select(left):
                sock, index = key.fileobj, key.data
                if targets[index].get("proto") == "udp":
                    outcomes[index] = _finish_udp(sock)
                else:
                    outcomes[index] = errno_outcome(
                        sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    )
                selector.unregister(sock)
                sock.close()
    finally:
        for key in list(selector.get_map().values()):
            index = key.data
            if targets[index].get("proto") == "udp":
                outcomes[index] = _outcome("silent", f"nothing in {timeout:g} s")
            else:
                outcomes[index] = _outcome("dropped", f"no answer in {timeout:g} s")
            selector.unregister(key.fileobj)
            key.fileobj.close()
        selector.close()
    return outcomes


def scan(targets, source=None, timeout=TIMEOUT):
    """
    Try every target (``{address, port, proto}``; proto ``tcp`` or
    ``udp``) at once, each within ``timeout`` seconds, from ``source`` (an
    address of this host to send from; None: the route's). Returns one
    outcome per target, in order. UDP: one NUL byte is sent; silence is
    ``silent``, ICMP port unreachable ``refused``.
    """
    _raise_fd_limit(min(len(targets), BATCH))
    outcomes = []
    for start in range(0, len(targets), BATCH):
        outcomes += _round(targets[start : start + BATCH], source, float(timeout))
    return outcomes


def connect(address, port, timeout=TIMEOUT, source=None):
    """A blocking TCP connection, or ``(None, outcome)`` when none was made."""
    try:
        sock = socket.socket(_family(address), socket.SOCK_STREAM)
    except OSError as exc:
        return None, _outcome("error", str(exc))
    sock.settimeout(timeout)
    try:
        if source:
            sock.bind((source, 0))
        sock.connect((address, int(port)))
    except TimeoutError:
        sock.close()
        return None, _outcome("dropped", f"no answer in {timeout:g} s")
    except OSError as exc:
        sock.close()
        return None, errno_outcome(exc.errno) if exc.errno else _outcome("error", str(exc))
    return sock, None


def _converse(address, port, timeout, talk):
    """
    Connect and hold one conversation: ``talk(sock)`` returns its outcome;
    the socket is closed after it. The connect's own outcome when no
    connection was made; ``closed`` when the service goes silent
    (``timeout``) or the connection fails after connecting.
    """
    sock, outcome = connect(address, port, timeout)
    if sock is None:
        return outcome
    try:
        return talk(sock)
    except TimeoutError:
        return _outcome("closed", f"no answer in {timeout:g} s after connecting")
    except OSError as exc:
        return _outcome("closed", str(exc))
    finally:
        sock.close()


def _recv_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


# --- AMQP 0-9-1 (RabbitMQ) ----------------------------------------------------

AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
_FRAME_END = b"\xce"


def _shortstr(text):
    data = text.encode()
    return struct.pack(">B", len(data)) + data


def _longstr(data):
    return struct.pack(">I", len(data)) + data


def _table(fields):
    """An AMQP field table of booleans and nested tables."""
    body = b""
    for name, value in fields.items():
        body += _shortstr(name)
        if isinstance(value, dict):
            body += b"F" + _table(value)
        else:
            body += b"t" + struct.pack(">B", 1 if value else 0)
    return _longstr(body)


def _method_frame(class_id, method_id, arguments):
    payload = struct.pack(">HH", class_id, method_id) + arguments
    return struct.pack(">BHI", 1, 0, len(payload)) + payload + _FRAME_END


def _read_frame(sock):
    """``(type, payload)`` of the next frame; None when the peer closed."""
    header = _recv_exact(sock, 7)
    if header is None:
        return None
    if header.startswith(b"AMQP"):
        return ("protocol", header)
    kind, _channel, size = struct.unpack(">BHI", header)
    payload = _recv_exact(sock, size + 1)
    if payload is None:
        return None
    return (kind, payload[:-1])


def start_ok(user, password):
    """Connection.Start-Ok: PLAIN login, asking for a Connection.Close on a
    refused login (RabbitMQ's ``authentication_failure_close``)."""
    properties = _table({"capabilities": {"authentication_failure_close": True}})
    response = b"\0" + user.encode() + b"\0" + password.encode()
    return _method_frame(
        10, 11, properties + _shortstr("PLAIN") + _longstr(response) + _shortstr("en_US")
    )


def amqp_login(address, port=5672, user="guest", password="guest", timeout=TIMEOUT):
    """
    Log in to an AMQP 0-9-1 broker with PLAIN ``user``/``password``:
    ``logged in`` when it goes on to Connection.Tune, ``denied`` on a
    Connection.Close (its reply code and text in the detail), ``closed``
    when it hangs up; the connect's own outcome when none was made.
    """

    def talk(sock):
        sock.sendall(AMQP_HEADER)
        frame = _read_frame(sock)
        if frame is None:
            return _outcome("closed", "closed before Connection.Start")
        if frame[0] == "protocol" or frame[0] != 1 or frame[1][:4] != b"\x00\x0a\x00\x0a":
            return _outcome("closed", "not an AMQP 0-9-1 server")
        sock.sendall(start_ok(user, password))
        frame = _read_frame(sock)
        if frame is None:
            return _outcome("closed", "closed after the credentials")
        kind, payload = frame
        method = payload[:4]
        if kind == 1 and method == b"\x00\x0a\x00\x1e":  # Connection.Tune
            return _outcome("logged in", f"{user} logged in")
        if kind == 1 and method == b"\x00\x0a\x00\x32":  # Connection.Close
            code = struct.unpack(">H", payload[4:6])[0]
            size = payload[6]
            text = payload[7 : 7 + size].decode(errors="replace")
            return _outcome("denied", f"{code} {text}")
        return _outcome("closed", f"unexpected frame {payload[:4].hex()}")

    return _converse(address, port, timeout, talk)


# --- MySQL protocol (MariaDB) -------------------------------------------------

_CLIENT_LONG_PASSWORD = 0x1
_CLIENT_PROTOCOL_41 = 0x200
_CLIENT_SECURE_CONNECTION = 0x8000
_CLIENT_PLUGIN_AUTH = 0x80000
NATIVE = "mysql_native_password"


def native_scramble(password, salt):
    """mysql_native_password's answer: SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw)))."""
    if not password:
        return b""
    stage1 = hashlib.sha1(password.encode()).digest()
    stage2 = hashlib.sha1(stage1).digest()
    mix = hashlib.sha1(salt + stage2).digest()
    return bytes(a ^ b for a, b in zip(stage1, mix, strict=True))


def _read_packet(sock):
    header = _recv_exact(sock, 4)
    if header is None:
        return None, None
    size = header[0] | header[1] << 8 | header[2] << 16
    return header[3], _recv_exact(sock, size)


def _send_packet(sock, seq, payload):
    size = len(payload)
    sock.sendall(bytes([size & 0xFF, size >> 8 & 0xFF, size >> 16 & 0xFF, seq & 0xFF]) + payload)


def _error(payload):
    code = struct.unpack("<H", payload[1:3])[0]
    text = payload[3:]
    if text.startswith(b"#"):
        text = text[6:]
    return _outcome("denied", f"{code} {text.decode(errors='replace')}")


def parse_greeting(payload):
    """The salt (20 bytes) and auth plugin of a protocol-10 handshake."""
    if not payload or payload[0] != 10:
        raise ValueError("not a MySQL protocol 10 greeting")
    end = payload.index(b"\0", 1)
    pos = end + 1 + 4  # server version, connection id
    part1 = payload[pos : pos + 8]
    pos += 8 + 1  # filler
    pos += 2 + 1 + 2 + 2  # capabilities (low), charset, status, capabilities (high)
    data_len = payload[pos]
    pos += 1 + 10  # reserved
    part2 = payload[pos : pos + max(13, data_len - 8)]
    pos += max(13, data_len - 8)
    plugin = payload[pos:].split(b"\0", 1)[0].decode(errors="replace") or NATIVE
    return part1 + part2[:12], plugin


def handshake_response(user, password, salt):
    flags = _CLIENT_LONG_PASSWORD | _CLIENT_PROTOCOL_41 | _CLIENT_SECURE_CONNECTION
    flags |= _CLIENT_PLUGIN_AUTH
    answer = native_scramble(password, salt)
    return (
        struct.pack("<IIB", flags, 1 << 24, 33)
        + b"\0" * 23
        + user.encode()
        + b"\0"
        + struct.pack("B", len(answer))
        + answer
        + NATIVE.encode()
        + b"\0"
    )


def mysql_login(address, port=3306, user="root", password="", timeout=TIMEOUT):
    """
    Log in to a MySQL-protocol server as ``user`` with ``password``
    (mysql_native_password; an auth switch to that plugin is answered, to
    any other with nothing): ``logged in`` on OK, ``denied`` on an error
    packet (code and message in the detail; a host the server knows no
    account for is refused before the greeting), ``closed`` otherwise.
    """

    def talk(sock):  # noqa: PLR0911
        try:
            seq, payload = _read_packet(sock)
            if payload is None:
                return _outcome("closed", "closed before the greeting")
            if payload[:1] == b"\xff":
                return _error(payload)
            salt, _plugin = parse_greeting(payload)
            _send_packet(sock, seq + 1, handshake_response(user, password, salt))
            for _ in range(3):
                seq, payload = _read_packet(sock)
                if payload is None:
                    return _outcome("closed", "closed after the credentials")
                if payload[:1] == b"\x00":
                    return _outcome("logged in", f"{user} logged in")
                if payload[:1] == b"\xff":
                    return _error(payload)
                if payload[:1] == b"\xfe":  # auth switch request
                    plugin, _, data = payload[1:].partition(b"\0")
                    answer = b""
                    if plugin.decode(errors="replace") == NATIVE:
                        answer = native_scramble(password, data.rstrip(b"\0")[:20])
                    _send_packet(sock, seq + 1, answer)
                    continue
                return _outcome("closed", f"the server asked for more ({payload[:1].hex()})")
            return _outcome("closed", "no decision after three rounds")
        except (ValueError, IndexError, struct.error) as exc:
            return _outcome("closed", f"not a MySQL server: {exc}")

    return _converse(address, port, timeout, talk)


# --- memcached ----------------------------------------------------------------


def memcached_stats(address, port=11211, timeout=TIMEOUT):
    """memcached's ``stats``: ``answered`` (its pid and version in the
    detail) when it gives them, ``closed`` when it does not."""

    def talk(sock):
        sock.sendall(b"stats\r\n")
        data = b""
        while not data.endswith(b"END\r\n") and len(data) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        stats = dict(
            line.split(" ", 2)[1:3]
            for line in data.decode(errors="replace").splitlines()
            if line.startswith("STAT ") and line.count(" ") >= 2
        )
        if stats:
            return _outcome(
                "answered", f"stats: pid {stats.get('pid')}, version {stats.get('version')}"
            )
        return _outcome("closed", data.decode(errors="replace").strip()[:80] or "no stats")

    return _converse(address, port, timeout, talk)


def main(stdin=sys.stdin, stdout=sys.stdout):
    """The program: a JSON request on stdin, the outcomes on stdout."""
    request = json.load(stdin)
    outcomes = scan(
        request["targets"], request.get("source"), float(request.get("timeout", TIMEOUT))
    )
    json.dump(outcomes, stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
