"""
The host firewall (salt/firewall) with the real nft, in network namespaces
of the test's own (``ip netns add h13-fw-...``, deleted afterwards): nothing
of this machine's rules is touched.

- the guide's controller file loaded where another table already is: that
  table is untouched; a second load replaces the project's table (one table,
  the same listing); a changed file replaces it too; a rule deleted by hand
  makes the listing differ from what the load recorded, and the state's own
  drift check and load commands (firewall-loaded, run with the test's paths)
  put it back, once; removing the table (the unit's stop) leaves the other;
- traffic through the controller's table: the database only from the
  controller itself, the queue from a compute host's address and not from
  another LAN address, what is dropped counted in the counter `dropped`;
- the gateway's table: the LAN and the provider network out of the public
  interface, masqueraded; nothing between the provider network and the LAN;
  from outside, only the dashboard's and the console's ports.

Needs root, nft (nftables) and ip (iproute2). Skipped when they are
missing, except under CI (``CI`` set), where that fails.
"""

import os
import shutil
import subprocess
import textwrap
import uuid

import pytest

from tests.support.ci import skip_or_fail
from tests.support.paths import SALT
from tests.support.render import Minions, show, state_args

TEMPLATE = SALT / "firewall" / "files" / "firewall.nft.jinja"
TABLE = "inet openstack_salt"
OTHER = """table inet someone_else {
	chain input {
		type filter hook input priority -10; policy accept;
		tcp dport 7 counter drop
	}
}
"""


def _missing():
    missing = [tool for tool in ("nft", "ip") if not shutil.which(tool)]
    if missing:
        return f"{', '.join(missing)} not installed (apt-get install nftables iproute2)"
    if os.geteuid() != 0:
        return "network namespaces need root"
    return None


@pytest.fixture(scope="module", autouse=True)
def _tools():
    reason = _missing()
    if reason:
        skip_or_fail("the firewall functional tests", reason)


@pytest.fixture(scope="module")
def minions(tmp_path_factory):
    return Minions(tmp_path_factory)


def render(minions, host, local=None):
    """(the host's nft file, the firewall-loaded state's arguments) as the
    guide's pillar renders them on Debian 13."""
    result = show(minions("guide", "debian13", host, local=local), "firewall")
    context = state_args(result, "firewall-rules")[1]["context"]
    text = minions("guide", "debian13", host, local=local).cmd(
        "file.apply_template_on_contents",
        TEMPLATE.read_text(),
        template="jinja",
        context=context,
        defaults={},
        saltenv="base",
    )
    assert isinstance(text, str) and text.startswith("#!/usr/sbin/nft -f"), text
    return text, state_args(result, "firewall-loaded")[1]


class Netns:
    """Throwaway network namespaces, each deleted at the end."""

    def __init__(self):
        self.names = []

    def add(self, role):
        name = f"h13-fw-{role}-{uuid.uuid4().hex[:6]}"
        subprocess.run(["ip", "netns", "add", name], check=True)
        self.names.append(name)
        self.run(name, "ip link set lo up")
        return name

    @staticmethod
    def run(name, script, check=True, timeout=60):
        return subprocess.run(
            ["ip", "netns", "exec", name, "sh", "-c", script],
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def link(self, one, other):
        """A veth pair between two namespaces, each end (namespace,
        interface name, addresses) named and addressed."""
        tmp = uuid.uuid4().hex[:8]
        subprocess.run(
            ["ip", "link", "add", f"a{tmp}", "type", "veth", "peer", "name", f"b{tmp}"], check=True
        )
        for end, (name, ifname, addr) in ((f"a{tmp}", one), (f"b{tmp}", other)):
            subprocess.run(["ip", "link", "set", end, "netns", name], check=True)
            self.run(name, f"ip link set {end} name {ifname} && ip link set {ifname} up")
            for address in addr.split():
                self.run(name, f"ip address add {address} dev {ifname}")

    def cleanup(self):
        for name in self.names:
            subprocess.run(["ip", "netns", "delete", name], check=False)


@pytest.fixture
def netns():
    spaces = Netns()
    try:
        yield spaces
    finally:
        spaces.cleanup()


def listing(netns, name, table=TABLE):
    return netns.run(name, f"nft -s list table {table}").stdout


def load(netns, name, path):
    netns.run(name, f"nft -f {path}")


def test_load_replace_and_drift_in_a_netns(minions, netns, tmp_path):
    text, loaded_state = render(minions, "controller")
    rules = tmp_path / "firewall.nft"
    rules.write_text(text)
    other = tmp_path / "other.nft"
    other.write_text(OTHER)
    ns = netns.add("ctl")
    load(netns, ns, other)
    before = listing(netns, ns, "inet someone_else")

    # the first load: the project's table next to the other, untouched
    load(netns, ns, rules)
    first = listing(netns, ns)
    assert 'counter name "dropped" drop' in first
    assert 'ip saddr @mariadb_v4 tcp dport 3306 accept comment "mariadb"' in first
    assert listing(netns, ns, "inet someone_else") == before
    tables = netns.run(ns, "nft list tables").stdout.split("\n")
    assert sorted(t for t in tables if t) == [
        "table inet openstack_salt",
        "table inet someone_else",
    ]

    # loaded again: replaced, not added to (one table, the same listing)
    load(netns, ns, rules)
    assert listing(netns, ns) == first
    assert netns.run(ns, "nft list tables").stdout.count("openstack_salt") == 1
    assert listing(netns, ns, "inet someone_else") == before

    # a changed file replaces the table: the new source in, nothing doubled
    local = {"openstack": {"firewall": {"admin_sources": ["10.9.0.0/16"]}}}
    changed, _ = render(minions, "controller", local=local)
    (tmp_path / "changed.nft").write_text(changed)
    load(netns, ns, tmp_path / "changed.nft")
    now = listing(netns, ns)
    assert "10.9.0.0/16" in now and now.count('counter name "dropped" drop') == 1
    load(netns, ns, rules)
    assert listing(netns, ns) == first

    # the state's own commands, with the test's paths: drift check and load
    state_dir = tmp_path / "state"
    paths = {
        "/etc/openstack-salt/firewall.nft": str(rules),
        "/var/lib/openstack-salt": str(state_dir),
    }

    def own(command):
        for real, test in paths.items():
            command = command.replace(real, test)
        return command

    unless, name = own(loaded_state["unless"]), own(loaded_state["name"])
    assert netns.run(ns, unless, check=False).returncode != 0  # nothing recorded yet
    netns.run(ns, name)
    recorded = (state_dir / "firewall.loaded").read_text()
    assert recorded == first
    assert netns.run(ns, unless, check=False).returncode == 0  # nothing to do

    # a rule deleted by hand: the listing differs from the record; the
    # check sees it, the load puts the rule back, and then all is quiet
    handles = netns.run(ns, "nft -a list chain inet openstack_salt input").stdout
    (handle,) = [
        line.rsplit("# handle ", 1)[1]
        for line in handles.splitlines()
        if 'comment "mariadb"' in line
    ]
    netns.run(ns, f"nft delete rule inet openstack_salt input handle {handle}")
    assert listing(netns, ns) != recorded
    assert "dport 3306" not in listing(netns, ns)
    assert netns.run(ns, unless, check=False).returncode != 0
    netns.run(ns, name)
    assert listing(netns, ns) == recorded == first
    assert netns.run(ns, unless, check=False).returncode == 0

    # a file newer than the record is loaded even when the table matches
    os.utime(rules, ns=(os.stat(state_dir / "firewall.loaded").st_mtime_ns + 10**9,) * 2)
    assert netns.run(ns, unless, check=False).returncode != 0

    # the unit's stop: the project's table only
    netns.run(ns, "nft delete table inet openstack_salt")
    assert netns.run(ns, "nft list tables").stdout.strip() == "table inet someone_else"
    assert listing(netns, ns, "inet someone_else") == before


CONNECT = textwrap.dedent(
    """\
    python3 - <<'EOF'
    import socket, sys
    s = socket.socket()
    s.settimeout({timeout})
    s.bind(("{source}", 0))
    try:
        s.connect(("{target}", {port}))
        print("connected")
    except ConnectionRefusedError:
        print("refused")
    except (socket.timeout, TimeoutError, OSError) as exc:
        print("timeout" if isinstance(exc, (socket.timeout, TimeoutError)) else exc)
    EOF
    """
)


def connect(netns, name, source, target, port, *, timeout=1.0):
    """'connected', 'refused' (an answer: let through, nothing listens) or
    'timeout' (dropped) for a TCP connection from ``source``."""
    script = CONNECT.format(timeout=timeout, source=source, target=target, port=port)
    return netns.run(name, script, timeout=30).stdout.strip()


PING = textwrap.dedent(
    """\
    python3 - <<'EOF'
    import socket, struct
    def checksum(data):
        total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
        total = (total >> 16) + (total & 0xFFFF)
        return ~(total + (total >> 16)) & 0xFFFF
    body = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"firewall"
    packet = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(2)
    s.bind(("{source}", 0))
    s.sendto(packet, ("{target}", 0))
    try:
        while True:
            data, peer = s.recvfrom(1500)
            if peer[0] == "{target}" and data[(data[0] & 15) * 4] == 0:
                print("echo-reply")
                break
    except (socket.timeout, TimeoutError):
        print("timeout")
    EOF
    """
)


def ping(netns, name, source, target):
    """An ICMP echo answered (a raw socket: no ping binary needed)."""
    script = PING.format(source=source, target=target)
    return netns.run(name, script, timeout=30).stdout.strip() == "echo-reply"


def dropped(netns, name):
    out = netns.run(name, "nft list counter inet openstack_salt dropped").stdout
    return int(out.split("packets ", 1)[1].split()[0])


def test_the_controllers_table_lets_only_the_clients_in(minions, netns, tmp_path):
    text, _ = render(minions, "controller")
    (tmp_path / "firewall.nft").write_text(text)
    ctl, lan = netns.add("ctl"), netns.add("lan")
    # the controller's LAN NIC; on the other side compute2's address and a
    # LAN address that is no host of the map
    netns.link((ctl, "eth0", "192.168.0.5/24"), (lan, "eth1", "192.168.0.2/24 192.168.0.9/24"))
    load(netns, ctl, tmp_path / "firewall.nft")
    assert dropped(netns, ctl) == 0
    # RabbitMQ: compute2 gets an answer, another LAN address none
    assert connect(netns, lan, "192.168.0.2", "192.168.0.5", 5672) == "refused"
    assert connect(netns, lan, "192.168.0.9", "192.168.0.5", 5672) == "timeout"
    # MariaDB: only the controller itself
    assert connect(netns, lan, "192.168.0.2", "192.168.0.5", 3306) == "timeout"
    assert connect(netns, ctl, "192.168.0.5", "192.168.0.5", 3306) == "refused"
    # SSH from the LAN, any address of it; ping likewise
    assert connect(netns, lan, "192.168.0.9", "192.168.0.5", 22) == "refused"
    assert ping(netns, lan, "192.168.0.9", "192.168.0.5")
    # the controller's own connections out get their answers
    assert connect(netns, ctl, "192.168.0.5", "192.168.0.2", 9) == "refused"
    assert dropped(netns, ctl) >= 2


def test_the_gateway_forwards_out_only_and_never_provider_to_lan(minions, netns, tmp_path):
    text, _ = render(minions, "compute1")
    (tmp_path / "firewall.nft").write_text(text)
    gw, out, lan, prov = (netns.add(role) for role in ("gw", "out", "lan", "prov"))
    netns.link((gw, "eth0", "198.51.100.161/24"), (out, "up0", "198.51.100.1/24"))
    netns.link((gw, "eth1", "192.168.0.1/24"), (lan, "lan0", "192.168.0.2/24"))
    netns.link((gw, "eth2", "10.0.0.1/24"), (prov, "prov0", "10.0.0.10/24"))
    netns.run(lan, "ip route add default via 192.168.0.1")
    netns.run(prov, "ip route add default via 10.0.0.1")
    netns.run(gw, "sysctl -qw net.ipv4.ip_forward=1")
    load(netns, gw, tmp_path / "firewall.nft")
    # a listener outside that says who connected: the gateway's public address
    server = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            out,
            "python3",
            "-c",
            "import socket\n"
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('198.51.100.1', 8080)); s.listen()\n"
            "for _ in range(2):\n"
            "    c, peer = s.accept(); print(peer[0], flush=True); c.close()\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        netns.run(out, "for i in $(seq 50); do ss -ltn | grep -q :8080 && exit 0; sleep 0.1; done")
        assert connect(netns, lan, "192.168.0.2", "198.51.100.1", 8080) == "connected"
        assert connect(netns, prov, "10.0.0.10", "198.51.100.1", 8080) == "connected"
        peers = server.communicate(timeout=30)[0].split()
    finally:
        server.kill()
    assert peers == ["198.51.100.161", "198.51.100.161"]
    # never between the provider network and the LAN, either way
    assert connect(netns, prov, "10.0.0.10", "192.168.0.2", 22) == "timeout"
    assert connect(netns, lan, "192.168.0.2", "10.0.0.10", 22) == "timeout"
    # the gateway itself serves no instance
    assert connect(netns, prov, "10.0.0.10", "10.0.0.1", 22) == "timeout"
    assert connect(netns, prov, "10.0.0.10", "192.168.0.1", 24007) == "timeout"
    # from outside: the dashboard and the console proxy, nothing else
    for port in (80, 443, 6080):
        assert connect(netns, out, "198.51.100.1", "198.51.100.161", port) == "refused", port
    for port in (22, 24007, 5900):
        assert connect(netns, out, "198.51.100.1", "198.51.100.161", port) == "timeout", port
    # nothing from outside into the LAN, even addressed there directly
    netns.run(out, "ip route add 192.168.0.0/24 via 198.51.100.161")
    assert connect(netns, out, "198.51.100.1", "192.168.0.2", 22) == "timeout"
    forward = netns.run(gw, "nft list counter inet openstack_salt forward_dropped").stdout
    assert int(forward.split("packets ", 1)[1].split()[0]) >= 3


def test_a_connection_open_before_the_first_load_keeps_working(minions, netns, tmp_path):
    """Salt's own case: the minion connected to the master's publisher
    before its host had the table (conntrack had not seen the connection),
    and only the master writes to it. Its next publication still arrives;
    a new connection from the master's address is still refused entry."""
    text, _ = render(minions, "compute2")
    (tmp_path / "firewall.nft").write_text(text)
    host, master = netns.add("min"), netns.add("mst")
    netns.link((host, "eth1", "192.168.0.2/24"), (master, "lan0", "192.168.0.254/24"))
    publisher = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            master,
            "python3",
            "-c",
            "import socket, sys\n"
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('192.168.0.254', 4505)); s.listen()\n"
            "c, _ = s.accept(); sys.stdin.readline(); c.sendall(b'publication\\n')\n"
            "sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        text=True,
    )
    minion = None
    try:
        netns.run(
            master, "for i in $(seq 50); do ss -ltn | grep -q :4505 && exit 0; sleep 0.1; done"
        )
        minion = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                host,
                "python3",
                "-c",
                "import socket, sys\n"
                "s = socket.create_connection(('192.168.0.254', 4505))\n"
                "print('connected', flush=True); sys.stdin.readline()\n"
                "s.settimeout(10); print(s.recv(100).decode().strip(), flush=True)\n",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert minion.stdout.readline().strip() == "connected"
        load(netns, host, tmp_path / "firewall.nft")
        minion.stdin.write("\n")
        minion.stdin.flush()
        publisher.stdin.write("\n")
        publisher.stdin.flush()
        assert minion.communicate(timeout=30)[0].strip() == "publication"
    finally:
        for process in (minion, publisher):
            if process:
                process.kill()
    # nothing new opens from there: the host serves no port 4505 to it
    assert connect(netns, master, "192.168.0.254", "192.168.0.2", 4505) == "timeout"
    assert connect(netns, master, "192.168.0.254", "192.168.0.2", 22) == "refused"
