"""
What the audit (``salt-run state.orchestrate openstack.audit``) compares,
as pure functions: the execution module ``openstack_audit`` (on the hosts)
and the ``openstack`` runner's audit functions (on the master) share them.
No Salt dunders, no I/O: each takes what was read and returns findings.

Imported as ``import audit_checks`` (Salt's loader has ``_utils`` on
``sys.path`` while it imports a custom module, see ``_utils/keystone_api.py``).

The expectations are ``served_by`` entries (``salt/firewall/services.jinja``,
from ``openstack:firewall:services``): ``{name, proto, ports: [[first,
last], ...], bind: lan|loopback|any|public, address, sources: [IP or CIDR],
public, when}``.
"""

import difflib
import ipaddress
import re
import stat

# --- listening sockets (`ss -H -l -n -t -u -p`) ------------------------------

_PROCESS = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+)')
ANY_ADDRESSES = ("*", "0.0.0.0", "::")


def split_address(text):
    """
    ``ss``'s local address column as ``(address, interface, port)``:
    ``0.0.0.0:22``, ``[::]:22``, ``*:80``, ``127.0.0.53%lo:53``,
    ``[fe80::1]%eth0:546`` or ``[fe80::1%eth0]:546``. The interface is None
    unless the socket is bound to one; the port is an int (None for ``*``).
    """
    host, _, port = text.rpartition(":")
    iface = None
    if host.startswith("["):
        close = host.find("]")
        rest = host[close + 1 :]
        host = host[1:close]
        if rest.startswith("%"):
            iface = rest[1:]
    if "%" in host:
        host, iface = host.split("%", 1)
    if host.lower().startswith("::ffff:") and "." in host:
        host = host[len("::ffff:") :]  # a v4-mapped address is the v4 one
    return host, iface, int(port) if port.isdigit() else None


def parse_ss(text):
    """
    The sockets of ``ss -H -l -n -t -u -p`` (no header): a list of
    ``{proto, address, iface, port, processes}``, processes being the names
    ``ss -p`` shows (empty for a kernel socket or without root).
    """
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 5 or words[0] not in ("tcp", "udp"):
            continue
        address, iface, port = split_address(words[4])
        if port is None:
            continue
        names = []
        for name, _pid in _PROCESS.findall(" ".join(words[6:])):
            if name not in names:
                names.append(name)
        found.append(
            {
                "proto": words[0],
                "address": address,
                "iface": iface,
                "port": port,
                "processes": names,
            }
        )
    return found


def is_loopback(address):
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def in_ports(port, ranges):
    return any(int(first) <= port <= int(last) for first, last in ranges)


def binds_here(entry, address):
    """Whether a socket bound to ``address`` is where ``entry`` binds: lan,
    the host's LAN address; loopback, a loopback address; any and public,
    anywhere."""
    bind = entry.get("bind")
    if bind == "lan":
        return address == entry.get("address")
    if bind == "loopback":
        return is_loopback(address)
    return True


def where(entry):
    """Where an entry binds, in words."""
    if entry.get("bind") == "lan":
        return entry.get("address")
    if entry.get("bind") == "loopback":
        return "loopback"
    return "any address"


def port_text(ranges):
    return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in ranges)


def socket_text(sock):
    address = sock["address"]
    shown = f"[{address}]" if ":" in address else address
    if sock.get("iface"):
        shown += "%" + sock["iface"]
    procs = ",".join(sock.get("processes") or []) or "no process shown"
    return f"{shown}:{sock['port']}/{sock['proto']} ({procs})"


def classify_sockets(sockets, entries):
    """
    Each socket against the host's ``served_by`` entries. Returns a dict:

    expected
        entry name -> the sockets (text) that are that entry's
    unexpected
        sockets on a non-loopback address that no entry expects there
        (each text with, when the port is an entry's, where it should bind)
    loopback
        sockets on a loopback address no entry lists: local only, reported
    missing
        entries without ``when`` that no socket serves (TCP)
    silent
        UDP entries without ``when`` that no socket serves: a UDP service
        of the kernel or of a userspace datapath may have no socket to show
    absent
        entries with ``when`` (a migration, instances) that no socket
        serves now
    """
    out = {
        "expected": {},
        "unexpected": [],
        "loopback": [],
        "missing": [],
        "silent": [],
        "absent": [],
    }
    for sock in sockets:
        same_port = [
            e
            for e in entries
            if e.get("proto", "tcp") == sock["proto"] and in_ports(sock["port"], e["ports"])
        ]
        here = [e for e in same_port if binds_here(e, sock["address"])]
        if here:
            for entry in here:
                out["expected"].setdefault(entry["name"], []).append(socket_text(sock))
        elif is_loopback(sock["address"]):
            out["loopback"].append(socket_text(sock))
        elif same_port:
            hints = "; ".join(f"{e['name']} binds {where(e)}" for e in same_port)
            out["unexpected"].append(f"{socket_text(sock)}: {hints}")
        else:
            out["unexpected"].append(socket_text(sock))
    for entry in entries:
        if entry["name"] in out["expected"]:
            continue
        proto = entry.get("proto", "tcp")
        text = f"{entry['name']} {port_text(entry['ports'])}/{proto} on {where(entry)}"
        if entry.get("when"):
            out["absent"].append(f"{text} (only {entry['when']})")
        elif proto == "udp":
            out["silent"].append(text)
        else:
            out["missing"].append(text)
    return out


def listening_verdict(classified):
    """``(result, comment)`` of :func:`classify_sockets`' output: a
    non-loopback socket no entry expects, or a TCP entry nothing serves,
    fails."""
    problems, notes = [], []
    if classified["unexpected"]:
        problems.append("not the role's: " + ", ".join(classified["unexpected"]))
    if classified["missing"]:
        problems.append("nothing listens for: " + ", ".join(classified["missing"]))
    expected = classified["expected"]
    notes.append(
        "the role's: "
        + (
            ", ".join(f"{name} {' + '.join(socks)}" for name, socks in sorted(expected.items()))
            or "none"
        )
    )
    if classified["loopback"]:
        notes.append("local only (loopback), not in the list: " + ", ".join(classified["loopback"]))
    if classified["silent"]:
        notes.append(
            "no socket (UDP: a kernel or userspace-datapath service may show none): "
            + ", ".join(classified["silent"])
        )
    if classified["absent"]:
        notes.append("not now: " + ", ".join(classified["absent"]))
    return (not problems, "; ".join(problems + notes))


# --- the firewall table against what the states loaded ---------------------


def _blocks(lines):
    """For each line of an ``nft list table`` listing, the block it is in
    (``chain input``, ``set lan``, the table itself)."""
    names, stack = [], []
    for line in lines:
        names.append(" ".join(stack[-1:]) or "table")
        if line.endswith("{"):
            stack.append(line[:-1].strip())
        elif line == "}" and stack:
            stack.pop()
    return names


def listing_lines(text):
    """The non-blank lines of a listing, stripped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def compare_listings(loaded, live):
    """
    The lines of ``loaded`` (what the states loaded) missing from ``live``
    (what the kernel has) and the lines ``live`` has beyond it, in order,
    each prefixed with its block (``chain input: tcp dport 22 accept``); a
    rule moved elsewhere in its chain is both.
    """
    old, new = listing_lines(loaded), listing_lines(live)
    old_blocks, new_blocks = _blocks(old), _blocks(new)
    missing, extra = [], []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            missing += [f"{old_blocks[i]}: {old[i]}" for i in range(i1, i2)]
        if tag in ("insert", "replace"):
            extra += [f"{new_blocks[j]}: {new[j]}" for j in range(j1, j2)]
    return missing, extra


# --- files holding secrets ---------------------------------------------------


def secret_needles(secrets, skip_suffixes=("_pubkey",)):
    """
    name -> the strings whose presence in a file means it holds that secret:
    the value itself, and for a multi-line one (a private key) each of its
    lines of 16 characters or more but the ``-----BEGIN``/``END`` armour and
    the first line of the body (OpenSSH's format header and key type: the
    same in every key of that type). Public halves (``*_pubkey``) and empty
    values are left out.
    """
    needles = {}
    for name, value in sorted((secrets or {}).items()):
        if name.endswith(skip_suffixes) or value in (None, ""):
            continue
        text = str(value)
        found = [text]
        if "\n" in text.strip():
            body = [
                line.strip()
                for line in text.splitlines()
                if len(line.strip()) >= 16 and not line.strip().startswith("-----")
            ]
            found = body[1:] or body
        needles[name] = [n.encode() for n in found if n]
    return needles


def secrets_in(data, needles):
    """The names of the secrets ``data`` (bytes) holds."""
    return sorted(name for name, items in needles.items() if any(n in data for n in items))


def mode_problem(mode, owner, group, expected_group):
    """
    Why a file holding a secret is not protected enough, or None when it
    is: 0640 or stricter, owned by root, and readable by its group only
    when that group is the service's (``expected_group``; root's own group
    too). A file of a service user's own (a private SSH key) may belong to
    that user when nobody else may read it (0600 or stricter).
    """
    perms = stat.S_IMODE(mode)
    if owner != "root":
        if perms & 0o177:
            return f"{perms:04o} {owner}:{group}: a file of {owner}'s own must be 0600 or stricter"
        return None
    if perms & ~0o640:
        return f"{perms:04o} {owner}:{group}: more than 0640"
    if perms & 0o040 and group not in ("root", expected_group):
        want = expected_group or "root"
        return f"{perms:04o} {owner}:{group}: its group may read it, and it is not {want}"
    return None


# --- GlusterFS ---------------------------------------------------------------


def address_list(value):
    """gluster's comma-separated address list (``auth.allow``) as a sorted set."""
    return sorted({item.strip() for item in str(value or "").split(",") if item.strip()})


# --- connection attempts: what each outcome means ----------------------------

# A connection that got no answer at all within the timeout: the firewall
# dropped it.
DROPPED = "dropped"
# What the audit's probes (_utils/audit_probes.py) report, by whether the
# attempt got in.
LET_IN = ("open", "logged in", "answered")
KEPT_OUT = ("refused", "dropped", "unreachable", "denied", "closed")


def kept_out(outcome):
    """Whether an attempt's outcome means it did not get in (``error``:
    the probe itself failed, which proves nothing)."""
    return outcome in KEPT_OUT


def expand_ports(ranges):
    """Every port of ``[[first, last], ...]``."""
    for first, last in ranges:
        yield from range(int(first), int(last) + 1)


def admits(sources, address):
    """Whether ``address`` is one of ``sources`` (IPs and CIDRs)."""
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        return False
    for source in sources or []:
        try:
            if addr in ipaddress.ip_network(str(source), strict=False):
                return True
        except ValueError:
            continue
    return False


def outsider_targets(served_by, hosts, source):
    """
    What an address outside the host map on the LAN (``source``) may reach:
    for every host (``hosts``: name -> LAN address) and each port of each
    of its entries, ``{address, port, proto, what, expect}`` with ``expect``
    ``any`` where the entry's sources admit ``source`` (SSH from the LAN),
    ``dropped`` everywhere else. One target per address, port and protocol.
    """
    targets = {}
    for name in sorted(served_by):
        address = hosts.get(name)
        if not address:
            continue
        for entry in served_by[name]:
            if entry.get("bind") == "loopback":
                continue
            allowed = admits(entry.get("sources"), source)
            proto = entry.get("proto", "tcp")
            for port in expand_ports(entry["ports"]):
                key = (address, port, proto)
                what = f"{name} {entry['name']}"
                if key in targets:
                    targets[key]["what"] += "/" + entry["name"]
                    if allowed:
                        targets[key]["expect"] = "any"
                    continue
                targets[key] = {
                    "address": address,
                    "port": port,
                    "proto": proto,
                    "what": what,
                    "expect": "any" if allowed else DROPPED,
                }
    return list(targets.values())


def public_targets(served_by, gateway, public_ip):
    """
    What the public network may reach on the gateway's public address: every
    port any host serves (so a service of another role that would answer
    there is seen too), ``expect`` ``open`` for the gateway's entries with
    ``public`` true (TCP), ``dropped`` for every other one.
    """
    open_ = {}
    for entry in served_by.get(gateway, []):
        if entry.get("public"):
            for port in expand_ports(entry["ports"]):
                open_[(port, entry.get("proto", "tcp"))] = entry["name"]
    targets = {}
    for name in sorted(served_by):
        for entry in served_by[name]:
            proto = entry.get("proto", "tcp")
            for port in expand_ports(entry["ports"]):
                key = (port, proto)
                if key in targets:
                    continue
                public = open_.get(key)
                targets[key] = {
                    "address": public_ip,
                    "port": port,
                    "proto": proto,
                    "what": public or entry["name"],
                    "expect": "open" if public and proto == "tcp" else DROPPED,
                }
    return [targets[key] for key in sorted(targets)]


def judge(targets, outcomes):
    """
    Each target's outcome (``outcomes``: the probe's list, in the targets'
    order, each ``{outcome, detail}``) against its ``expect``: ``dropped``
    passes only when nothing answered (a refusal is an answer: the packet
    got through); for UDP, silence passes and an ICMP refusal fails;
    ``open`` passes only a connection; ``any`` always. Returns ``(wrong,
    counts)``: the targets that failed (text) and how many ended how.
    """
    wrong, counts = [], {}
    for target, got in zip(targets, outcomes, strict=True):
        outcome = got.get("outcome")
        counts[outcome] = counts.get(outcome, 0) + 1
        expect = target["expect"]
        if expect == "any":
            continue
        if expect == DROPPED:
            good = outcome in (DROPPED, "silent")
        else:
            good = outcome == expect
        if not good:
            detail = f": {got['detail']}" if got.get("detail") else ""
            wrong.append(
                f"{target['address']}:{target['port']}/{target['proto']} ({target['what']}) "
                f"{outcome}{detail}, expected {expect}"
            )
    return wrong, counts


def counts_text(counts):
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
