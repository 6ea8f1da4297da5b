"""
Check that an OpenStack cloud works, the way the guide's section 10 does by
hand (``10-openstack-controller``, steps 57-63), with today's client.

Each function is one check. It returns a dictionary with ``result`` (True:
passed, False: failed, None: skipped), ``comment`` (what was seen, or why it
was skipped) and ``data`` (what later checks need: a server's id, address
and host). A check that cannot even ask raises ``CommandExecutionError`` with
the client's own message. ``_states/openstack_verify.py`` times them and
prints pass or fail; ``salt/verify/init.sls`` lists them in the guide's order.

Client
------
The ``openstack`` command (python3-openstackclient), ``-f json``, with the
administrator's credentials passed in the environment only: the password is
never on a command line, in a log or in a state's arguments. ``openrc`` is
either an openrc file (``/root/admin-openrc`` on the controller, written by
``keystone.server``) or a dictionary of ``OS_*`` variables whose
``OS_PASSWORD`` may be ``{"pillar": "openstack:secrets:admin_password"}``:
read from this minion's pillar, in memory. The gateway's checks use the
dictionary: no credentials file is written there.

Where the checks run
--------------------
The instances' provider network is a wire of its own, on which the gateway
is the one host (it routes and NATs it, and forwards nothing between it and
the LAN). So what talks to a guest over the network (:func:`ssh`,
:func:`reaches`, :func:`isolation`, :func:`live_migrate` with its probe)
runs on the gateway, which also holds the test key (:func:`keypair`);
what only asks the API runs on the controller.

What the checks create (a key pair, a server, a volume) is named with a
prefix (``verify-`` by default); :func:`cleanup` deletes everything with that
prefix and nothing else.
"""

import errno
import json
import logging
import os
import re
import shlex
import socket
import threading
import time

import salt.utils.data
from salt.exceptions import CommandExecutionError, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "openstack_verify"

OPENRC = "/root/admin-openrc"
# Where the test key pair's private half stays (root only).
KEY_DIR = "/var/lib/openstack-salt/verify"
# ssh to a guest: a throwaway guest's host key is not worth remembering.
SSH_OPTIONS = [
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "LogLevel=ERROR",
]


def __virtual__():
    if "cmd.run_all" in __salt__:
        return __virtualname__
    return (False, "openstack_verify: the cmd module is not available")


def _ret(result, comment, **data):
    return {"result": result, "comment": comment, "data": data}


def _openrc_env(openrc):
    """
    The client's ``OS_*`` environment: the ``export NAME=value`` lines of an
    openrc file, or a dictionary of them (a value ``{"pillar": KEY}`` read
    from this minion's pillar).
    """
    if isinstance(openrc, dict):
        return _dict_env(openrc)
    try:
        with open(openrc, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as exc:
        raise CommandExecutionError(f"cannot read the credentials file {openrc}: {exc}") from exc
    env = {}
    for line in lines:
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            env[name] = value
    if "OS_AUTH_URL" not in env:
        raise CommandExecutionError(f"{openrc} sets no OS_AUTH_URL: not an openrc file")
    return env


def _dict_env(openrc):
    env = {}
    for name, given in openrc.items():
        value = given
        if isinstance(given, dict) and set(given) == {"pillar"}:
            value = salt.utils.data.traverse_dict_and_list(
                __pillar__, given["pillar"], default=None, delimiter=":"
            )
            if value in (None, ""):
                raise CommandExecutionError(
                    f"credentials: {name} is to come from pillar {given['pillar']}, "
                    "which this minion's pillar does not have"
                )
        elif isinstance(value, (dict, list)) or value is None:
            raise CommandExecutionError(
                f"credentials: {name} must be a string or {{pillar: KEY}}, not {value!r}"
            )
        env[name] = str(value)
    if "OS_AUTH_URL" not in env:
        raise CommandExecutionError("credentials: no OS_AUTH_URL given")
    return env


def _cli(*args, openrc=OPENRC, as_json=True, timeout=120):
    """
    Run ``openstack ARGS`` (``-f json`` added when ``as_json``); return its
    parsed output, or its text. A failure raises with the client's message.
    """
    cmd = ["openstack", *args]
    if as_json:
        cmd += ["-f", "json"]
    out = __salt__["cmd.run_all"](
        cmd,
        env=_openrc_env(openrc),
        python_shell=False,
        output_loglevel="quiet",
        timeout=timeout,
    )
    if out["retcode"] != 0:
        raise CommandExecutionError(
            "openstack {}: {}".format(" ".join(args), _message(out["stderr"] or out["stdout"]))
        )
    if not as_json:
        return out["stdout"]
    try:
        return json.loads(out["stdout"] or "null")
    except ValueError as exc:
        raise CommandExecutionError(f"openstack {' '.join(args)}: not JSON: {exc}") from exc


# The client warns of every microversion its table predates (python3-
# openstackclient 7.4 knows compute 2 and 2.1 only, yet sends 2.74): noise
# in front of the real message.
_NOISE = re.compile(r"version \S+ is not in supported versions")


def _message(text):
    """The client's message, without its microversion warnings."""
    lines = [line for line in text.strip().splitlines() if not _NOISE.search(line)]
    return "\n".join(lines).strip() or text.strip()


def _missing(expected, seen):
    return sorted(set(expected) - set(seen))


def token(openrc=OPENRC):
    """
    The administrator gets a token (guide: ``keystone user-list`` works).

    openrc
        File with the administrator's ``export OS_*=`` lines.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.token
    """
    issued = _cli("token", "issue", openrc=openrc)
    return _ret(
        bool(issued.get("id")),
        "token issued to user {} in project {}, expires {}".format(
            issued.get("user_id"), issued.get("project_id"), issued.get("expires")
        ),
    )


def users(expected, openrc=OPENRC):
    """
    Every expected user exists (guide 10: ``keystone user-list``).

    expected
        List of user names.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.users '[admin, nova, glance]'
    """
    names = [user["Name"] for user in _cli("user", "list", openrc=openrc)]
    missing = _missing(expected, names)
    if missing:
        return _ret(
            False, "missing users: {} (listed: {})".format(", ".join(missing), ", ".join(names))
        )
    return _ret(True, "users: " + ", ".join(sorted(names)))


def images(expected, openrc=OPENRC):
    """
    Every expected image is listed and active (guide 10: ``glance index``).

    expected
        List of image names.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.images '[testguest]'
    """
    listed = {image["Name"]: image["Status"] for image in _cli("image", "list", openrc=openrc)}
    bad = [
        f"{name} ({listed.get(name, 'missing')})"
        for name in expected
        if listed.get(name) != "active"
    ]
    if bad:
        return _ret(False, "images not active: " + ", ".join(bad))
    return _ret(True, "images active: " + ", ".join(sorted(listed)))


def compute_services(hosts, openrc=OPENRC):
    """
    Every compute service is enabled and up, and every compute host runs
    nova-compute (guide 10: ``nova-manage service list``, all ``:-)``).

    hosts
        List of the compute hosts' names.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.compute_services '[compute1, compute2]'
    """
    services = _cli("compute", "service", "list", openrc=openrc)
    down = [
        "{Binary}@{Host} ({Status}, {State})".format(**svc)
        for svc in services
        if svc["Status"] != "enabled" or svc["State"] != "up"
    ]
    computes = [
        svc["Host"] for svc in services if svc["Binary"] == "nova-compute" and svc["State"] == "up"
    ]
    missing = _missing(hosts, computes)
    problems = []
    if down:
        problems.append("not up: " + ", ".join(down))
    if missing:
        problems.append("no nova-compute up on: " + ", ".join(missing))
    if problems:
        return _ret(False, "; ".join(problems))
    return _ret(
        True,
        f"{len(services)} services up: "
        + ", ".join(sorted("{Binary}@{Host}".format(**svc) for svc in services)),
    )


def network_agents(expected, openrc=OPENRC):
    """
    Every network agent is alive and up, and each expected agent runs.

    expected
        Dictionary of agent type (as ``openstack network agent list`` prints
        it, e.g. ``OVN Controller agent``; ``A|B`` accepts either type) to
        the hosts it must run on.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.network_agents \
            '{"OVN Controller agent|OVN Controller Gateway agent": [compute1]}'
    """
    agents = _cli("network", "agent", "list", openrc=openrc)
    dead = [
        "{} on {}".format(agent["Agent Type"], agent["Host"])
        for agent in agents
        if agent["Alive"] not in (True, ":-)") or agent["State"] not in (True, "UP")
    ]
    running = {(agent["Agent Type"], agent["Host"]) for agent in agents}
    missing = [
        f"{kind} on {host}"
        for kind, hosts in sorted(expected.items())
        for host in hosts
        if not any((one, host) in running for one in kind.split("|"))
    ]
    problems = []
    if dead:
        problems.append("not alive: " + ", ".join(dead))
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if problems:
        return _ret(False, "; ".join(problems))
    return _ret(
        True,
        f"{len(agents)} agents alive: "
        + ", ".join(sorted("{} on {}".format(a["Agent Type"], a["Host"]) for a in agents)),
    )


def _key_file(prefix):
    return os.path.join(KEY_DIR, prefix + "key")


def _server(name, openrc):
    return _cli("server", "show", name, openrc=openrc)


def _address(server, network):
    """
    The server's first IPv4 address on ``network``.
    """
    addresses = server.get("addresses") or {}
    if isinstance(addresses, str):  # older clients: "net=10.0.0.5, ..."
        parsed = {}
        for part in addresses.split(";"):
            net, _, ips = part.strip().partition("=")
            parsed[net] = [ip.strip() for ip in ips.split(",")]
        addresses = parsed
    for ip in addresses.get(network, []):
        if ":" not in ip:
            return ip
    return None


def _host(server):
    return server.get("OS-EXT-SRV-ATTR:host") or server.get("host")


def keypair(prefix="verify-", openrc=OPENRC):
    """
    Make the test key pair on this host and register its public half as the
    key pair ``<prefix>key`` (guide step 59, ``nova keypair-add``). The
    private half stays here (``/var/lib/openstack-salt/verify``, 0600,
    root's): run this where the SSH checks run, the gateway.

    CLI Example:

    .. code-block:: bash

        salt compute1 openstack_verify.keypair
    """
    key = _key_file(prefix)
    os.makedirs(KEY_DIR, mode=0o700, exist_ok=True)
    os.chmod(KEY_DIR, 0o700)
    for path in (key, key + ".pub"):
        if os.path.exists(path):
            os.unlink(path)
    out = __salt__["cmd.run_all"](
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", prefix + "key", "-f", key],
        python_shell=False,
    )
    if out["retcode"] != 0:
        raise CommandExecutionError("ssh-keygen: " + out["stderr"])
    os.chmod(key, 0o600)
    keypairs = [pair["Name"] for pair in _cli("keypair", "list", openrc=openrc)]
    if prefix + "key" in keypairs:
        _cli("keypair", "delete", prefix + "key", openrc=openrc, as_json=False)
    made = _cli("keypair", "create", "--public-key", key + ".pub", prefix + "key", openrc=openrc)
    return _ret(
        True,
        "key pair {}key registered (fingerprint {}), private key {} (0600)".format(
            prefix, (made or {}).get("fingerprint"), key
        ),
    )


def boot(
    image,
    flavor,
    network,
    *,
    host=None,
    server="server",
    config_drive=False,
    prefix="verify-",
    timeout=600,
    openrc=OPENRC,
):
    """
    Boot a server with the test key pair (made by :func:`keypair`) and wait
    until it is ACTIVE (guide steps 58-60: ``nova boot --key_name``).

    image, flavor, network
        Names of the image, the flavor and the network to boot with.
    host
        The compute host to boot on (an administrator's choice, API
        microversion 2.74); by default the scheduler chooses.
    server
        The server's name after the prefix (``<prefix>server``).
    config_drive
        Boot with ``--config-drive true`` (nova writes an ISO 9660 disk
        labelled ``config-2`` with the metadata).
    prefix
        Prefix of the names of the key pair (``<prefix>key``) and the server.
    timeout
        Seconds to wait for ACTIVE.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.boot testguest m1.small provider host=compute2
    """
    name = prefix + server
    keypairs = [pair["Name"] for pair in _cli("keypair", "list", openrc=openrc)]
    if prefix + "key" not in keypairs:
        return _ret(False, f"no key pair {prefix}key: openstack_verify.keypair makes it")
    args = [
        "--image",
        image,
        "--flavor",
        flavor,
        "--network",
        network,
        "--key-name",
        prefix + "key",
    ]
    if config_drive:
        args += ["--config-drive", "true"]
    if host:
        args = ["--os-compute-api-version", "2.74", "--host", host] + args
    started = time.monotonic()
    # --wait prints progress, not JSON; a server that ends in ERROR makes
    # it fail: its fault is the finding
    try:
        _cli(
            "server", "create", *args, "--wait", name, openrc=openrc, as_json=False, timeout=timeout
        )
    except CommandExecutionError as exc:
        try:
            fault = (_server(name, openrc).get("fault") or {}).get("message")
        except CommandExecutionError:
            fault = None
        if not fault:
            raise
        return _ret(False, f"{name} did not boot: {fault} ({exc})")
    found = _server(name, openrc)
    ip = _address(found, network)
    seconds = time.monotonic() - started
    comment = "{} {} on {} at {} after {:.0f} s{}".format(
        name, found["status"], _host(found), ip, seconds, " with a config drive" * config_drive
    )
    if found["status"] != "ACTIVE":
        fault = found.get("fault") or {}
        return _ret(False, comment + ": " + str(fault.get("message", "no fault reported")))
    return _ret(True, comment, id=found["id"], ip=ip, host=_host(found))


def _ssh(ip, user, key, command, timeout=30):
    return __salt__["cmd.run_all"](
        ["ssh", "-i", key, *SSH_OPTIONS, f"{user}@{ip}", command],
        python_shell=False,
        timeout=timeout,
        ignore_retcode=True,
    )


def ssh(
    network, *, user="cirros", command="uname -a", prefix="verify-", timeout=300, openrc=OPENRC
):
    """
    Log in to the server :func:`boot` started with its injected key and run a
    command (guide step 61, ``ssh -i test.pem``). Retried until ``timeout``:
    a guest answers SSH a while after it is ACTIVE.

    network
        The network whose address of the server to use.
    user
        The guest's user (CirrOS and the lab's test guest: ``cirros``).
    command
        What to run in the guest; its output goes into the comment.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.ssh provider
    """
    server = _server(prefix + "server", openrc)
    ip = _address(server, network)
    if not ip:
        return _ret(False, f"the server has no address on {network}")
    deadline = time.monotonic() + timeout
    tries = 0
    while True:
        tries += 1
        out = _ssh(ip, user, _key_file(prefix), command)
        if out["retcode"] == 0:
            return _ret(True, f"{user}@{ip} ({tries} tries): {out['stdout'].strip()}", ip=ip)
        if time.monotonic() > deadline:
            return _ret(
                False, f"{user}@{ip}: no login after {tries} tries: {out['stderr'].strip()}", ip=ip
            )
        time.sleep(5)


def _console(name, openrc):
    text = _cli("console", "log", "show", name, openrc=openrc, as_json=False)
    return [line.strip() for line in text.splitlines() if line.strip()]


def console_log(expect=None, *, server="server", prefix="verify-", timeout=120, openrc=OPENRC):
    """
    The server's console log can be read (``openstack console log show``);
    with ``expect``, it must contain that text (waited for up to
    ``timeout`` seconds).

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.console_log expect='login:'
    """
    deadline = time.monotonic() + timeout
    while True:
        lines = _console(prefix + server, openrc)
        if expect is None and lines:
            return _ret(True, f"{len(lines)} lines, last: {lines[-1]}")
        found = [line for line in lines if expect and expect in line]
        if found:
            return _ret(True, f"{len(lines)} lines, found: {found[-1]}")
        if time.monotonic() > deadline:
            return _ret(False, f"{len(lines)} lines, without {expect!r}")
        time.sleep(5)


CONFIG_DRIVE_LINE = re.compile(r"CONFIG DRIVE uuid=(\S+)")


def config_drive(
    image,
    flavor,
    network,
    *,
    host=None,
    server="cdrom",
    prefix="verify-",
    timeout=600,
    openrc=OPENRC,
):
    """
    Boot a server with ``--config-drive true`` and check that its guest read
    the drive: the lab's test guest mounts the ISO 9660 disk labelled
    ``config-2`` and prints ``CONFIG DRIVE uuid=<uuid>`` (the ``uuid`` of
    ``openstack/latest/meta_data.json``) on its console, which must be the
    server's id. The server is deleted afterwards (without waiting).

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.config_drive testguest m1.small provider host=compute2
    """
    booted = boot(
        image,
        flavor,
        network,
        host=host,
        server=server,
        config_drive=True,
        prefix=prefix,
        timeout=timeout,
        openrc=openrc,
    )
    if booted["result"] is not True:
        return booted
    server_id = booted["data"]["id"]
    name = prefix + server
    deadline = time.monotonic() + timeout
    while True:
        lines = _console(name, openrc)
        read = [m.group(1) for m in map(CONFIG_DRIVE_LINE.search, lines) if m]
        if read or time.monotonic() > deadline:
            break
        time.sleep(5)
    _cli("server", "delete", name, openrc=openrc, as_json=False)
    if not read:
        last = lines[-1] if lines else "empty console"
        return _ret(False, f"{name}: no 'CONFIG DRIVE uuid=' on its console (last: {last})")
    if read[-1] != server_id:
        return _ret(
            False, f"{name}: the config drive says uuid={read[-1]}, the server is {server_id}"
        )
    return _ret(
        True,
        f"{booted['comment']}; the guest read uuid={server_id} from its config drive (deleted)",
    )


def _fetch_in_guest(ip, user, key, url):
    """
    ``wget`` of ``url`` in the guest: its first ``HTTP/`` status line, or
    None and the last line it printed.
    """
    out = _ssh(ip, user, key, f"timeout 20 wget -S -O /dev/null {shlex.quote(url)} 2>&1")
    status = [
        line.strip() for line in out["stdout"].splitlines() if line.strip().startswith("HTTP/")
    ]
    if status:
        return status[0], None
    lines = (out["stdout"] + out["stderr"]).strip().splitlines()
    return None, lines[-1] if lines else "no output"


def reaches(url, network, *, user="cirros", prefix="verify-", openrc=OPENRC):
    """
    From inside the server, fetch an HTTP URL outside the cloud: the
    instances' traffic leaves through the gateway's NAT (guide 09: what
    nova-network's NAT did). Any HTTP answer counts, an error status too: it
    came back. (HTTP, not ping: a guest's ordinary user may not ping.)

    url
        An ``http://`` URL beyond the gateway.

    CLI Example:

    .. code-block:: bash

        salt compute1 openstack_verify.reaches http://198.51.100.1/ provider
    """
    ip = _address(_server(prefix + "server", openrc), network)
    status, last = _fetch_in_guest(ip, user, _key_file(prefix), url)
    if not status:
        return _ret(False, f"no answer from {url} ({last})")
    return _ret(True, f"{url} answered: {status}")


def _ports(ports):
    """
    Port numbers from a list of numbers and ``"first-last"`` ranges.
    """
    out = []
    for item in ports:
        text = str(item)
        first, _, last = text.partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            raise SaltInvocationError(f"ports: {item!r} is not a port or a range") from None
        if not 0 < low <= high < 65536:
            raise SaltInvocationError(f"ports: {item!r} is not a port or a range")
        out += [port for port in range(low, high + 1) if port not in out]
    return out


# Run in the guest (busybox ash): one background `nc` per address and port,
# all at once, each writing its stderr to a file named <address>:<port>;
# then one "PROBE <address>:<port> <message>" line each. busybox's nc -w is
# a connect timeout ("nc: timed out"); with -e true it exits as soon as it
# is connected, silently.
PROBE_SCRIPT = """\
d=$(mktemp -d) && cd "$d" || exit 1
for a in {addresses}; do for p in {ports}; do
  nc -w {wait} "$a" "$p" -e true 2>"$a:$p" </dev/null >/dev/null &
done; done; wait
for f in *; do m=; read -r m < "$f"; echo "PROBE $f ${{m:-connected}}"; done
cd / && rm -rf "$d"; echo PROBES DONE"""


def isolation(
    addresses,
    ports,
    network,
    *,
    url=None,
    user="cirros",
    wait=2,
    prefix="verify-",
    openrc=OPENRC,
):
    """
    From inside the server, connect to every address on every port (all at
    once, ``wait`` seconds each): none may answer. A connection made or
    refused (an RST: the packet got through) fails the check, and any
    other error too; only a timeout passes. With ``url``, an outside
    ``http://`` URL must still answer, so that the timeouts are a filter,
    not a dead network.

    addresses
        The LAN addresses (the hosts of the host map, the lab's master).
    ports
        Port numbers and ``"first-last"`` ranges the hosts listen on.

    CLI Example:

    .. code-block:: bash

        salt compute1 openstack_verify.isolation '[192.168.0.5]' '[22, 3306, "49152-49156"]' \
            provider url=http://198.51.100.1/
    """
    ports = _ports(ports)
    if not addresses or not ports:
        raise SaltInvocationError("isolation needs addresses and ports")
    ip = _address(_server(prefix + "server", openrc), network)
    if not ip:
        return _ret(False, f"the server has no address on {network}")
    key = _key_file(prefix)
    script = PROBE_SCRIPT.format(
        addresses=" ".join(shlex.quote(str(a)) for a in addresses),
        ports=" ".join(str(p) for p in ports),
        wait=int(wait),
    )
    out = _ssh(ip, user, key, script, timeout=60 + 2 * wait)
    answered, seen = [], set()
    for line in out["stdout"].splitlines():
        words = line.split(None, 2)
        if len(words) < 3 or words[0] != "PROBE":
            continue
        seen.add(words[1])
        if "timed out" not in words[2]:
            answered.append(f"{words[1]} ({words[2].removeprefix('nc: ')})")
    expected = len(addresses) * len(ports)
    problems = []
    if "PROBES DONE" not in out["stdout"] or len(seen) != expected:
        problems.append(
            f"{len(seen)} of {expected} probes reported ({(out['stderr'] or '').strip()})"
        )
    if answered:
        problems.append(f"{len(answered)} answered: " + ", ".join(sorted(answered)))
    outside = "outside not checked"
    if url:
        status, last = _fetch_in_guest(ip, user, key, url)
        if not status:
            problems.append(f"and the outside does not answer either: {url} ({last})")
        outside = f"{url} answered: {status}"
    if problems:
        return _ret(False, f"from {ip}: " + "; ".join(problems))
    return _ret(
        True,
        f"from {ip}: {expected} connects ({len(addresses)} addresses x {len(ports)} ports) "
        f"timed out after {wait} s; {outside}",
    )


def volume(size=1, *, prefix="verify-", timeout=300, openrc=OPENRC):
    """
    Create a volume, attach it to the server, detach and delete it (guide
    steps 62-63). Skipped, with the reason, when no cinder-volume service is
    up: there is no back end to hold a volume.

    size
        Gigabytes.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.volume
    """
    backends = [
        svc
        for svc in _cli("volume", "service", "list", openrc=openrc)
        if svc["Binary"] == "cinder-volume" and svc["State"] == "up"
    ]
    if not backends:
        return _ret(
            None,
            "skipped: no cinder-volume service is up, so there is no volume back end "
            "(openstack:cinder:lvm_backend is false where LVM cannot run)",
        )
    name = prefix + "volume"
    server = prefix + "server"
    _cli("volume", "create", "--size", str(size), name, openrc=openrc)
    status = _wait_volume(name, "available", timeout, openrc)
    if status != "available":
        return _ret(False, f"{name} is {status}, not available")
    _cli("server", "add", "volume", server, name, openrc=openrc, as_json=False)
    status = _wait_volume(name, "in-use", timeout, openrc)
    if status != "in-use":
        return _ret(False, f"{name} is {status} after the attach, not in-use")
    _cli("server", "remove", "volume", server, name, openrc=openrc, as_json=False)
    _wait_volume(name, "available", timeout, openrc)
    _cli("volume", "delete", name, openrc=openrc, as_json=False)
    return _ret(True, f"{name} ({size} GB) created, attached (in-use), detached, deleted")


def _wait_volume(name, status, timeout, openrc):
    deadline = time.monotonic() + timeout
    while True:
        now = _cli("volume", "show", name, openrc=openrc)["status"]
        if now == status or now.startswith("error") or time.monotonic() > deadline:
            return now
        time.sleep(3)


def _disk_identity(instances_dir, server_id):
    """
    The path and inode of the server's disk file on the shared instances
    directory: a shared-storage migration keeps the file, a block migration
    writes a new one.
    """
    path = os.path.join(instances_dir, server_id, "disk")
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise CommandExecutionError(f"cannot stat the server's disk {path}: {exc}") from exc
    return path, stat.st_ino


def nova_status(user="nova"):
    """
    ``nova-status upgrade check`` as nova (on the controller): exit 0 passes,
    1 (a warning) passes with the warnings in the comment, 2 fails.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.nova_status
    """
    out = __salt__["cmd.run_all"](
        ["su", "-s", "/bin/sh", "-c", "nova-status upgrade check", user],
        python_shell=False,
        ignore_retcode=True,
        timeout=300,
    )
    results = _upgrade_check_results(out["stdout"])
    summary = ", ".join(f"{check}: {result}" for check, result, _ in results) or "no checks listed"
    notes = "; ".join(
        f"{check}: {result}: {details}"
        for check, result, details in results
        if result != "Success" and details
    )
    comment = summary + (f" ({notes})" if notes else "")
    if out["retcode"] == 0:
        return _ret(True, comment)
    if out["retcode"] == 1:
        return _ret(True, "warning: " + comment)
    if out["retcode"] == 2:
        return _ret(False, "failure: " + comment)
    raise CommandExecutionError(
        f"nova-status upgrade check exited {out['retcode']}: "
        + (out["stderr"] or out["stdout"]).strip()
    )


def _upgrade_check_results(text):
    """
    ``(check, result, details)`` from nova-status's table: ``| Check: X |``,
    ``| Result: Y |``, ``| Details: Z |`` (details may go on over lines).
    """
    results, current = [], None
    for line in text.splitlines():
        cell = line.strip().strip("|").strip()
        if line.startswith("+"):
            current = None
            continue
        if cell.startswith("Check:"):
            current = [cell.split(":", 1)[1].strip(), "", ""]
            results.append(current)
        elif current is not None and cell.startswith("Result:"):
            current[1] = cell.split(":", 1)[1].strip()
        elif current is not None and cell.startswith("Details:"):
            details = cell.split(":", 1)[1].strip()
            current[2] = "" if details == "None" else details
        elif current is not None and current[2] and cell:
            current[2] += " " + cell
    return [tuple(r) for r in results]


class _Probe(threading.Thread):
    """
    Connect to ``ip:port`` every ``interval`` seconds (each attempt waits at
    most ``interval``) until stopped; ``samples`` holds ``(seconds since
    the start, answered)``. A connection made or refused both mean the
    guest's network answered.
    """

    def __init__(self, ip, port=22, interval=0.5):
        super().__init__(daemon=True)
        self.address = (ip, port)
        self.interval = interval
        self.samples = []
        self.halt = threading.Event()
        self.started_at = time.monotonic()

    def attempt(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(self.interval)
        try:
            return sock.connect_ex(self.address) in (0, errno.ECONNREFUSED)
        except OSError:
            return False
        finally:
            sock.close()

    def run(self):
        tick = 0
        while not self.halt.is_set():
            now = time.monotonic() - self.started_at
            self.samples.append((round(now, 3), self.attempt()))
            tick = max(tick + 1, int((time.monotonic() - self.started_at) / self.interval))
            self.halt.wait(max(0.0, tick * self.interval - (time.monotonic() - self.started_at)))

    def stop(self):
        self.halt.set()
        self.join(timeout=5 * self.interval + 1)
        return list(self.samples)


def _downtime(samples, interval):
    """
    The longest time without an answer among the probe's samples: from the
    last answer before a run of unanswered probes to the first answer after
    it, less one interval (answers one interval apart are no downtime).
    Returns ``(seconds, lost, answered_at_end)``.
    """
    lost = sum(1 for _, ok in samples if not ok)
    answered = [t for t, ok in samples if ok]
    if not answered:
        return None, lost, False
    longest = 0.0
    for before, after in zip(answered, answered[1:], strict=False):
        longest = max(longest, after - before - interval)
    end_ok = samples[-1][1]
    if not end_ok:
        longest = max(longest, samples[-1][0] - answered[-1])
    return round(max(longest, 0.0), 1), lost, end_ok


def live_migrate(
    target,
    network,
    *,
    user="cirros",
    instances_dir="/var/lib/nova/instances",
    probe_interval=0.5,
    probe_port=22,
    ssh_window=20,
    downtime_notice=1.0,
    prefix="verify-",
    timeout=600,
    openrc=OPENRC,
):
    """
    Live-migrate the server to ``target`` as a shared-storage migration (no
    block migration: nova refuses that unless the instances directory is
    shared), then check it is ACTIVE there, answers SSH within
    ``ssh_window`` seconds after the migration ended, and its disk is the
    same file on the shared volume. During the migration a probe connects
    to the guest's port 22 every ``probe_interval`` seconds: the network
    downtime it saw is in the comment; above ``downtime_notice`` seconds it
    is reported, not failed. Run it on the gateway (the host on the
    instances' wire), a compute host that mounts the instances directory.

    target
        The compute host to move to.
    instances_dir
        Nova's instances directory, mounted from the shared volume here too.
    probe_interval, probe_port
        How often and where the probe connects (a refusal is an answer).
    ssh_window
        Seconds after the migration's end within which SSH must answer.
    downtime_notice
        Downtime above this is reported (``NOTE``), not failed.

    CLI Example:

    .. code-block:: bash

        salt compute1 openstack_verify.live_migrate compute3 provider
    """
    name = prefix + "server"
    before = _server(name, openrc)
    source = _host(before)
    if source == target:
        raise SaltInvocationError(f"{name} already runs on {target}: choose another target")
    ip = _address(before, network)
    if not ip:
        return _ret(False, f"{name} has no address on {network}")
    path, inode = _disk_identity(instances_dir, before["id"])
    probe = _Probe(ip, probe_port, probe_interval)
    probe.start()
    deadline = time.monotonic() + 10
    while not any(ok for _, ok in probe.samples) and time.monotonic() < deadline:
        time.sleep(probe_interval)
    if not any(ok for _, ok in probe.samples):
        probe.stop()
        return _ret(
            False, f"{name} at {ip} does not answer on port {probe_port} before the migration"
        )
    started = time.monotonic()
    try:
        _cli(
            "server",
            "migrate",
            "--os-compute-api-version",
            "2.30",
            "--live-migration",
            "--shared-migration",
            "--host",
            target,
            "--wait",
            name,
            openrc=openrc,
            as_json=False,
            timeout=timeout,
        )
    except CommandExecutionError:
        probe.stop()
        raise
    ended = time.monotonic()
    # SSH within the window after the migration's end (the probe goes on).
    tries = 0
    while True:
        tries += 1
        answer = _ssh(ip, user, _key_file(prefix), "uptime", timeout=15)
        if answer["retcode"] == 0 or time.monotonic() - ended > ssh_window:
            break
        time.sleep(1)
    ssh_seconds = time.monotonic() - ended
    samples = probe.stop()
    downtime, lost, back = _downtime(samples, probe_interval)
    after = _server(name, openrc)
    problems = []
    if _host(after) != target or after["status"] != "ACTIVE":
        problems.append(f"{name} is {after['status']} on {_host(after)}, not ACTIVE on {target}")
    _, inode_after = _disk_identity(instances_dir, after["id"])
    if inode_after != inode:
        problems.append(
            f"{path} is a new file (inode {inode} -> {inode_after}): the disk was copied"
        )
    if answer["retcode"] != 0:
        problems.append(
            f"no SSH answer within {ssh_window} s after the migration ({tries} tries): "
            + answer["stderr"].strip()
        )
    probed = "downtime {} s ({} of {} probes every {} s unanswered{})".format(
        downtime if downtime is not None else "?",
        lost,
        len(samples),
        probe_interval,
        "" if back else ", none answered at the end",
    )
    if downtime is not None and downtime > downtime_notice:
        probed += f"; NOTE: above {downtime_notice} s"
    if problems:
        return _ret(False, f"{source} -> {target}: " + "; ".join(problems) + "; " + probed)
    return _ret(
        True,
        "{} -> {} in {:.0f} s, shared storage ({} kept inode {}), {}, "
        "SSH {:.1f} s after: {}".format(
            source,
            target,
            ended - started,
            path,
            inode,
            probed,
            ssh_seconds,
            answer["stdout"].strip(),
        ),
        downtime=downtime,
        lost=lost,
    )


def cleanup(prefix="verify-", timeout=300, cloud=True, openrc=OPENRC):
    """
    Delete the servers, volumes and key pairs whose names start with
    ``prefix`` (what the checks created), and this host's test key.

    cloud
        False: only this host's test key (the gateway's share of the
        cleanup; the controller deletes what is in the cloud).

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.cleanup
    """
    if not prefix:
        raise SaltInvocationError("cleanup needs a non-empty prefix")
    deleted = []
    if cloud:
        servers = [
            s["Name"] for s in _cli("server", "list", openrc=openrc) if s["Name"].startswith(prefix)
        ]
        if servers:
            _cli(
                "server",
                "delete",
                "--wait",
                *servers,
                openrc=openrc,
                as_json=False,
                timeout=timeout,
            )
            deleted += servers
        for vol in _cli("volume", "list", openrc=openrc):
            if (vol.get("Name") or "").startswith(prefix):
                _cli("volume", "delete", "--force", vol["ID"], openrc=openrc, as_json=False)
                deleted.append(vol["Name"])
        for pair in _cli("keypair", "list", openrc=openrc):
            if pair["Name"].startswith(prefix):
                _cli("keypair", "delete", pair["Name"], openrc=openrc, as_json=False)
                deleted.append(pair["Name"])
    for path in (_key_file(prefix), _key_file(prefix) + ".pub"):
        if os.path.exists(path):
            os.unlink(path)
            deleted.append(path)
    return _ret(True, "deleted: " + (", ".join(deleted) or "nothing"))
