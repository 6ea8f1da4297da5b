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
The ``openstack`` command (python3-openstackclient, installed with Keystone),
``-f json``, with the administrator's credentials read from an openrc file
(``/root/admin-openrc``, written by ``keystone.server``) and passed in the
environment only: the password is never on a command line or in a log.

What the checks create (a key pair, a server, a volume) is named with a
prefix (``verify-`` by default); :func:`cleanup` deletes everything with that
prefix and nothing else.
"""

import json
import logging
import os
import shlex
import time

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
    The ``export NAME=value`` lines of an openrc file as a dictionary.
    """
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
            "openstack {}: {}".format(" ".join(args), (out["stderr"] or out["stdout"]).strip())
        )
    if not as_json:
        return out["stdout"]
    try:
        return json.loads(out["stdout"] or "null")
    except ValueError as exc:
        raise CommandExecutionError(f"openstack {' '.join(args)}: not JSON: {exc}") from exc


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
        it, e.g. ``Linux bridge agent``) to the hosts it must run on.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.network_agents '{"DHCP agent": [compute1]}'
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
        if (kind, host) not in running
    ]
    problems = []
    if dead:
        problems.append("not alive: " + ", ".join(dead))
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if problems:
        return _ret(False, "; ".join(problems))
    return _ret(True, f"{len(agents)} agents alive")


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


def boot(
    image,
    flavor,
    network,
    *,
    host=None,
    prefix="verify-",
    timeout=600,
    openrc=OPENRC,
):
    """
    Boot a server with a fresh key pair injected and wait until it is ACTIVE
    (guide steps 58-60: ``nova keypair-add``, ``nova boot --key_name``).

    image, flavor, network
        Names of the image, the flavor and the network to boot with.
    host
        The compute host to boot on (an administrator's choice, API
        microversion 2.74); by default the scheduler chooses.
    prefix
        Prefix of the names of the key pair (``<prefix>key``) and the server
        (``<prefix>server``).
    timeout
        Seconds to wait for ACTIVE.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.boot testguest m1.small provider host=compute2
    """
    name = prefix + "server"
    key = _key_file(prefix)
    os.makedirs(KEY_DIR, mode=0o700, exist_ok=True)
    if not os.path.exists(key):
        out = __salt__["cmd.run_all"](
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key],
            python_shell=False,
        )
        if out["retcode"] != 0:
            raise CommandExecutionError("ssh-keygen: " + out["stderr"])
    keypairs = [pair["Name"] for pair in _cli("keypair", "list", openrc=openrc)]
    if prefix + "key" in keypairs:
        _cli("keypair", "delete", prefix + "key", openrc=openrc, as_json=False)
    _cli("keypair", "create", "--public-key", key + ".pub", prefix + "key", openrc=openrc)

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
    if host:
        args = ["--os-compute-api-version", "2.74", "--host", host] + args
    started = time.monotonic()
    # --wait prints progress, not JSON
    _cli("server", "create", *args, "--wait", name, openrc=openrc, as_json=False, timeout=timeout)
    server = _server(name, openrc)
    ip = _address(server, network)
    seconds = time.monotonic() - started
    comment = "{} {} on {} at {} after {:.0f} s".format(
        name, server["status"], _host(server), ip, seconds
    )
    if server["status"] != "ACTIVE":
        fault = server.get("fault") or {}
        return _ret(False, comment + ": " + str(fault.get("message", "no fault reported")))
    return _ret(True, comment, id=server["id"], ip=ip, host=_host(server))


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


def console_log(expect=None, *, prefix="verify-", timeout=120, openrc=OPENRC):
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
        text = _cli("console", "log", "show", prefix + "server", openrc=openrc, as_json=False)
        lines = [line for line in text.splitlines() if line.strip()]
        if expect is None and lines:
            return _ret(True, f"{len(lines)} lines, last: {lines[-1].strip()}")
        found = [line.strip() for line in lines if expect and expect in line]
        if found:
            return _ret(True, f"{len(lines)} lines, found: {found[-1]}")
        if time.monotonic() > deadline:
            return _ret(False, f"{len(lines)} lines, without {expect!r}")
        time.sleep(5)


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

        salt controller openstack_verify.reaches http://198.51.100.1/ provider
    """
    ip = _address(_server(prefix + "server", openrc), network)
    out = _ssh(
        ip, user, _key_file(prefix), f"timeout 20 wget -S -O /dev/null {shlex.quote(url)} 2>&1"
    )
    status = [
        line.strip() for line in out["stdout"].splitlines() if line.strip().startswith("HTTP/")
    ]
    if not status:
        lines = (out["stdout"] + out["stderr"]).strip().splitlines()
        return _ret(
            False, "no answer from {} ({})".format(url, lines[-1] if lines else "no output")
        )
    return _ret(True, f"{url} answered: {status[0]}")


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


def live_migrate(
    target,
    network,
    *,
    user="cirros",
    instances_dir="/var/lib/nova/instances",
    prefix="verify-",
    timeout=600,
    openrc=OPENRC,
):
    """
    Live-migrate the server to ``target`` as a shared-storage migration (no
    block migration: nova refuses that unless the instances directory is
    shared), then check it is ACTIVE there, still answers SSH, and its disk
    is the same file on the shared volume.

    target
        The compute host to move to.
    instances_dir
        Nova's instances directory, mounted from the shared volume here too.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.live_migrate compute3 provider
    """
    name = prefix + "server"
    before = _server(name, openrc)
    source = _host(before)
    if source == target:
        raise SaltInvocationError(f"{name} already runs on {target}: choose another target")
    path, inode = _disk_identity(instances_dir, before["id"])
    started = time.monotonic()
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
    seconds = time.monotonic() - started
    after = _server(name, openrc)
    problems = []
    if _host(after) != target or after["status"] != "ACTIVE":
        problems.append(f"{name} is {after['status']} on {_host(after)}, not ACTIVE on {target}")
    _, inode_after = _disk_identity(instances_dir, after["id"])
    if inode_after != inode:
        problems.append(
            f"{path} is a new file (inode {inode} -> {inode_after}): the disk was copied"
        )
    answer = _ssh(_address(after, network), user, _key_file(prefix), "uptime")
    if answer["retcode"] != 0:
        problems.append("no SSH answer after the migration: " + answer["stderr"].strip())
    if problems:
        return _ret(False, "; ".join(problems))
    return _ret(
        True,
        "{} -> {} in {:.0f} s, shared storage ({} kept inode {}), SSH after: {}".format(
            source, target, seconds, path, inode, answer["stdout"].strip()
        ),
    )


def cleanup(prefix="verify-", timeout=300, openrc=OPENRC):
    """
    Delete the servers, volumes and key pairs whose names start with
    ``prefix`` (what the checks created), and the local private key.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_verify.cleanup
    """
    if not prefix:
        raise SaltInvocationError("cleanup needs a non-empty prefix")
    deleted = []
    servers = [
        s["Name"] for s in _cli("server", "list", openrc=openrc) if s["Name"].startswith(prefix)
    ]
    if servers:
        _cli("server", "delete", "--wait", *servers, openrc=openrc, as_json=False, timeout=timeout)
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
    return _ret(True, "deleted: " + (", ".join(deleted) or "nothing"))
