"""
GlusterFS management through the gluster CLI's machine output.

Every call runs ``gluster --xml --mode=script ...`` and reads the XML with
``xml.etree``; nothing scrapes the human-readable output. gluster reports
failures inside the XML (``opRet`` -1, ``opErrno``, ``opErrstr``) and often
exits 0 even then, so success is decided by ``opRet``, and a failure raises
``CommandExecutionError`` carrying gluster's own ``opErrstr``.

Written against GlusterFS 10 (Debian 12: glusterfs-server 10.3).
"""

import logging
import os
import re
import xml.etree.ElementTree as ET

import salt.utils.path
from salt.exceptions import CommandExecutionError, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "gluster"

# gluster's transport numbers in `volume info` (GF_TRANSPORT_*).
_TRANSPORTS = {"0": "tcp", "1": "rdma", "2": "tcp,rdma"}
# `peer probe` succeeds with these opErrno when there is nothing to do.
_PROBE_LOCALHOST = 1
_PROBE_KNOWN = 2
_DEFAULT_SUFFIX = re.compile(r"\s+\(DEFAULT\)$")
_BOOL_TRUE = {"on", "yes", "true", "enable", "1"}
_BOOL_FALSE = {"off", "no", "false", "disable", "0"}
_GROUPS_DIR = "/var/lib/glusterd/groups"
# Options whose value is a comma-separated list of addresses or host names,
# in no particular order (gluster's server and NFS access lists).
_LIST_OPTIONS = {"auth.allow", "auth.reject", "nfs.rpc-auth-allow", "nfs.rpc-auth-reject"}


def __virtual__():
    if salt.utils.path.which("gluster"):
        return __virtualname__
    return (
        False,
        "gluster module: the gluster binary is not installed (package glusterfs-server or "
        "glusterfs-cli)",
    )


# --------------------------------------------------------------------------- helpers


def _run(*args):
    """
    Run ``gluster --xml --mode=script ARGS`` and return the parsed <cliOutput>.

    Raises CommandExecutionError with gluster's own message when opRet is not
    0, and with the CLI's text when it printed no XML (glusterd not running).
    """
    args = [str(arg) for arg in args]
    cmd = ["gluster", "--xml", "--mode=script", *args]
    what = "gluster " + " ".join(args)
    res = __salt__["cmd.run_all"](cmd, python_shell=False, ignore_retcode=True)
    stdout = res.get("stdout") or ""
    start = stdout.find("<?xml")
    if start < 0:
        start = stdout.find("<cliOutput")
    try:
        if start < 0:
            raise ET.ParseError("no XML in the output")
        root = ET.fromstring(stdout[start:])
    except ET.ParseError as exc:
        text = " ".join(
            part.strip() for part in (stdout, res.get("stderr") or "") if part and part.strip()
        )
        raise CommandExecutionError(
            f"{what} failed (exit code {res.get('retcode')}): {text or exc}"
        ) from None
    op_ret = root.findtext("opRet")
    if op_ret is None:
        raise CommandExecutionError(f"{what}: no opRet in gluster's XML output")
    if int(op_ret) != 0:
        errstr = (root.findtext("opErrstr") or "").strip()
        errno = (root.findtext("opErrno") or "").strip()
        raise CommandExecutionError(
            f"{what} failed: {errstr or 'no message from gluster'} (opErrno {errno or '?'})",
            info={"opRet": int(op_ret), "opErrno": errno, "opErrstr": errstr},
        )
    return root


def _int(text, default=None):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _positive(text):
    """An int from gluster's text, None for its N/A, -1 and 0 (a brick that is down)."""
    value = _int(text)
    return value if value and value > 0 else None


def _split_brick(brick):
    """
    'host:/path' -> ('host', '/path'). Also accepts a (host, path) pair.
    """
    if isinstance(brick, (list, tuple)) and len(brick) == 2:
        host, path = (str(part) for part in brick)
    elif isinstance(brick, str) and ":/" in brick:
        host, _, path = brick.partition(":/")
        path = "/" + path
    else:
        raise SaltInvocationError(f"brick {brick!r} is not of the form host:/absolute/path")
    host = host.strip()
    if not host or not path.startswith("/"):
        raise SaltInvocationError(f"brick {brick!r} is not of the form host:/absolute/path")
    if len(path) > 1:
        path = path.rstrip("/")
    return host, path


def _items(value):
    """The set of a comma-separated list's items, blanks dropped."""
    return {item.strip() for item in value.split(",") if item.strip()}


def normalize_bricks(bricks):
    """
    Return bricks as a list of ``host:/path`` strings: trailing slashes
    removed, (host, path) pairs joined. Raises SaltInvocationError on a brick
    that is not ``host:/absolute/path`` and on a brick given twice.

    CLI Example:

    .. code-block:: bash

        salt '*' gluster.normalize_bricks '["compute1:/export/gluster/", "compute2:/srv"]'

    bricks
        List of ``host:/path`` strings or (host, path) pairs.
    """
    if isinstance(bricks, str) or not bricks:
        raise SaltInvocationError("bricks must be a non-empty list of host:/path")
    result = []
    for brick in bricks:
        host, path = _split_brick(brick)
        name = f"{host}:{path}"
        if name in result:
            raise SaltInvocationError(f"brick {name} is given twice")
        result.append(name)
    return result


def option_value(value):
    """
    The string gluster is given for an option value: Python booleans become
    ``on``/``off``, everything else ``str()``.

    CLI Example:

    .. code-block:: bash

        salt '*' gluster.option_value True

    value
        The value as written in pillar.
    """
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value).strip()


def option_equal(current, wanted, key=None):
    """
    True when an option's current value already is the wanted one. gluster
    keeps a boolean as it was typed (``enable``, ``on``, ``yes``...), so
    boolean spellings compare by meaning; the address lists of ``auth.allow``
    and its kin (``key``) compare as sets (``a,b`` is ``b, a``); anything
    else compares as text.

    CLI Example:

    .. code-block:: bash

        salt '*' gluster.option_equal enable on
        salt '*' gluster.option_equal 192.168.0.2,192.168.0.1 192.168.0.1,192.168.0.2 auth.allow

    current
        The value from ``gluster.get_options`` (None when unknown).
    wanted
        The value asked for.
    key
        The option's name, when known.
    """
    if current is None:
        return False
    cur = option_value(current).lower()
    new = option_value(wanted).lower()
    if cur == new:
        return True
    if key in _LIST_OPTIONS:
        return _items(cur) == _items(new)
    for vocabulary in (_BOOL_TRUE, _BOOL_FALSE):
        if cur in vocabulary and new in vocabulary:
            return True
    return False


# --------------------------------------------------------------------------- peers


def peer_status():
    """
    The peers of this node (``gluster peer status``), this node excluded.

    Returns a list of dicts: ``hostname``, ``hostnames`` (every name the peer
    is known by), ``uuid``, ``state`` (gluster's state text, e.g. ``Peer in
    Cluster``), ``state_id`` and ``connected`` (bool).

    CLI Example:

    .. code-block:: bash

        salt '*' gluster.peer_status
    """
    root = _run("peer", "status")
    peers = []
    for peer in root.iter("peer"):
        hostname = peer.findtext("hostname")
        names = [el.text for el in peer.findall("hostnames/hostname") if el.text]
        if hostname and hostname not in names:
            names.insert(0, hostname)
        peers.append(
            {
                "hostname": hostname,
                "hostnames": names,
                "uuid": peer.findtext("uuid"),
                "state": peer.findtext("stateStr"),
                "state_id": _int(peer.findtext("state")),
                "connected": peer.findtext("connected") == "1",
            }
        )
    return peers


def peer_probe(host):
    """
    Probe ``host`` into this node's trusted pool (``gluster peer probe``).

    Idempotent: probing a host already in the pool, or this node itself, is
    not an error. Returns ``{"host", "probed", "message"}`` where ``probed``
    is True only when the pool changed. Raises CommandExecutionError with
    gluster's message when the probe fails (host unreachable, in another
    pool...).

    CLI Example:

    .. code-block:: bash

        salt 'controller' gluster.peer_probe compute1

    host
        Hostname or address of the peer to add.
    """
    if not host or not str(host).strip():
        raise SaltInvocationError("peer_probe needs a host")
    root = _run("peer", "probe", str(host).strip())
    errno = _int(root.findtext("opErrno"), 0)
    message = (root.findtext("output") or root.findtext("opErrstr") or "").strip()
    return {
        "host": host,
        "probed": errno not in (_PROBE_LOCALHOST, _PROBE_KNOWN),
        "message": message,
    }


# --------------------------------------------------------------------------- volumes


def list_volumes():
    """
    Names of the volumes of the pool (``gluster volume list``).

    CLI Example:

    .. code-block:: bash

        salt '*' gluster.list_volumes
    """
    root = _run("volume", "list")
    return [el.text for el in root.findall("volList/volume") if el.text]


def _volume_dict(vol):
    bricks = []
    for brick in vol.findall("bricks/brick"):
        name = brick.findtext("name") or (brick.text or "").strip()
        host, path = _split_brick(name)
        bricks.append(
            {
                "name": name,
                "host": host,
                "path": path,
                "host_uuid": brick.findtext("hostUuid") or brick.get("uuid"),
                "arbiter": brick.findtext("isArbiter") == "1",
            }
        )
    options = {}
    for opt in vol.findall("options/option"):
        key = opt.findtext("name")
        if key:
            options[key] = opt.findtext("value") or ""
    return {
        "name": vol.findtext("name"),
        "id": vol.findtext("id"),
        "status": vol.findtext("statusStr"),
        "type": vol.findtext("typeStr"),
        "brick_count": _int(vol.findtext("brickCount")),
        "dist_count": _int(vol.findtext("distCount")),
        "replica_count": _int(vol.findtext("replicaCount")),
        "arbiter_count": _int(vol.findtext("arbiterCount")),
        "disperse_count": _int(vol.findtext("disperseCount")),
        "redundancy_count": _int(vol.findtext("redundancyCount")),
        "transport": _TRANSPORTS.get(vol.findtext("transport"), vol.findtext("transport")),
        "bricks": bricks,
        "options": options,
    }


def volume_info(name=None):
    """
    What gluster knows of a volume (``gluster volume info``).

    With ``name``: a dict with ``name``, ``id``, ``status`` (``Created``,
    ``Started`` or ``Stopped``), ``type`` (``Replicate``,
    ``Distributed-Replicate``...), ``replica_count``, ``dist_count``,
    ``brick_count``, ``transport``, ``bricks`` (in gluster's order, each with
    ``name`` ``host:/path``, ``host``, ``path``, ``host_uuid``, ``arbiter``)
    and ``options`` (the options set on the volume). Raises
    CommandExecutionError when the volume does not exist.

    Without ``name``: a dict of every volume's dict by volume name.

    CLI Example:

    .. code-block:: bash

        salt '*' gluster.volume_info
        salt '*' gluster.volume_info vm-instances

    name
        The volume; all volumes when omitted.
    """
    root = _run("volume", "info", *([name] if name else []))
    volumes = {}
    for vol in root.findall("volInfo/volumes/volume"):
        info = _volume_dict(vol)
        volumes[info["name"]] = info
    if name is None:
        return volumes
    if name not in volumes:
        raise CommandExecutionError(f"gluster volume info {name}: volume {name} not in the output")
    return volumes[name]


def volume_create(name, bricks, replica=None, force=False, transport="tcp"):
    """
    Create a volume (``gluster volume create``), bricks in the order given.

    With ``replica`` N, each N consecutive bricks form one replica set, so
    give them ordered with ``gluster.order_bricks``; more bricks than N
    (a multiple of N) make a distributed-replicated volume. Never re-creates:
    gluster refuses a name that exists, and that refusal is raised. Returns
    ``{"name", "id"}``.

    CLI Example:

    .. code-block:: bash

        salt 'controller' gluster.volume_create vm-instances \\
            '["compute1:/export/gluster", "compute2:/export/gluster"]' replica=2

    name
        Name of the new volume.
    bricks
        List of ``host:/path`` (or (host, path) pairs), replica sets consecutive.
    replica
        Copies of each file (2 or more); None for a plain distributed volume.
    force
        Pass ``force`` (bricks on the root filesystem, several bricks of a replica set on one host).
    transport
        ``tcp`` (default), ``rdma`` or ``tcp,rdma``.
    """
    if not name or not isinstance(name, str):
        raise SaltInvocationError("volume_create needs a volume name")
    bricks = normalize_bricks(bricks)
    args = ["volume", "create", name]
    if replica is not None:
        replica = _int(replica)
        if replica is None or replica < 2:
            raise SaltInvocationError("replica must be an integer of 2 or more")
        if len(bricks) % replica:
            raise SaltInvocationError(
                f"{len(bricks)} bricks are not a multiple of replica {replica}"
            )
        args += ["replica", replica]
    if transport not in _TRANSPORTS.values():
        raise SaltInvocationError(f"transport must be one of {sorted(_TRANSPORTS.values())}")
    if transport != "tcp":
        args += ["transport", transport]
    args += bricks
    if force:
        args.append("force")
    root = _run(*args)
    return {
        "name": root.findtext("volCreate/volume/name"),
        "id": root.findtext("volCreate/volume/id"),
    }


def volume_start(name, force=False):
    """
    Start a volume (``gluster volume start``). Raises when it is already
    started, unless ``force`` (which also restarts dead brick processes).
    Returns ``{"name", "id"}``.

    CLI Example:

    .. code-block:: bash

        salt 'controller' gluster.volume_start vm-instances

    name
        The volume.
    force
        Pass ``force``.
    """
    root = _run("volume", "start", name, *(["force"] if force else []))
    return {
        "name": root.findtext("volStart/volume/name"),
        "id": root.findtext("volStart/volume/id"),
    }


def volume_stop(name, force=False):
    """
    Stop a volume (``gluster volume stop``); its clients lose access.
    Returns ``{"name", "id"}``.

    CLI Example:

    .. code-block:: bash

        salt 'controller' gluster.volume_stop vm-instances

    name
        The volume.
    force
        Pass ``force``.
    """
    root = _run("volume", "stop", name, *(["force"] if force else []))
    return {"name": root.findtext("volStop/volume/name"), "id": root.findtext("volStop/volume/id")}


def set_option(name, key, value):
    """
    Set one volume option (``gluster volume set NAME KEY VALUE``). Booleans
    are given to gluster as ``on``/``off``. ``key`` ``group`` applies one of
    gluster's option groups (e.g. ``virt``). Returns True.

    CLI Example:

    .. code-block:: bash

        salt 'controller' gluster.set_option vm-instances performance.strict-o-direct on

    name
        The volume.
    key
        Full option name, as ``gluster volume get NAME all`` lists it.
    value
        The value.
    """
    return set_options(name, {key: value})


def set_options(name, options):
    """
    Set several volume options in one ``gluster volume set`` call.
    Returns True.

    CLI Example:

    .. code-block:: bash

        salt 'controller' gluster.set_options vm-instances \\
            '{"network.remote-dio": "disable", "performance.strict-o-direct": "on"}'

    name
        The volume.
    options
        Dict of option name to value.
    """
    if not isinstance(options, dict) or not options:
        raise SaltInvocationError("options must be a non-empty dict")
    args = ["volume", "set", name]
    for key, value in options.items():
        args += [str(key), option_value(value)]
    _run(*args)
    return True


def get_options(name):
    """
    Every option of a volume with its effective value (``gluster volume get
    NAME all``), defaults included. gluster's ``(DEFAULT)`` marker is removed
    from the values. gluster leaves free-form ``user.*`` options out of this
    list; ``gluster.volume_info`` shows them.

    CLI Example:

    .. code-block:: bash

        salt '*' gluster.get_options vm-instances

    name
        The volume.
    """
    root = _run("volume", "get", name, "all")
    options = {}
    for opt in root.findall("volGetopts/Opt"):
        key = opt.findtext("Option")
        if key:
            options[key] = _DEFAULT_SUFFIX.sub("", opt.findtext("Value") or "")
    return options


def group_options(group):
    """
    The options of one of gluster's option groups (``gluster volume set NAME
    group GROUP`` sets these), read from glusterd's ``groups`` directory
    (``/var/lib/glusterd/groups``; minion option ``gluster.groups_dir``).

    CLI Example:

    .. code-block:: bash

        salt '*' gluster.group_options virt

    group
        Group name, e.g. ``virt``.
    """
    if not group or "/" in str(group):
        raise SaltInvocationError(f"invalid option group {group!r}")
    directory = __opts__.get("gluster.groups_dir", _GROUPS_DIR)
    path = os.path.join(directory, str(group))
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise CommandExecutionError(f"gluster option group {group}: {exc}") from None
    options = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        options[key.strip()] = value.strip()
    return options


def heal_info(name):
    """
    Entries waiting for self-heal on each brick (``gluster volume heal NAME
    info``).

    Returns ``{"bricks": [...], "total": N, "unreachable": [...]}``: one dict
    per brick (``name``, ``host``, ``path``, ``status``, ``entries``, an int,
    or None when the brick could not be asked, and ``files``); ``total`` sums
    the known entries; ``unreachable`` names the bricks whose count is
    unknown. The volume is healed when total is 0 and unreachable is empty.

    CLI Example:

    .. code-block:: bash

        salt 'controller' gluster.heal_info vm-instances

    name
        The volume (replicated or dispersed).
    """
    root = _run("volume", "heal", name, "info")
    bricks = []
    for brick in root.findall("healInfo/bricks/brick"):
        brick_name = brick.findtext("name") or ""
        host, path = _split_brick(brick_name)
        bricks.append(
            {
                "name": brick_name,
                "host": host,
                "path": path,
                "status": brick.findtext("status"),
                "entries": _int(brick.findtext("numberOfEntries")),
                "files": [el.text for el in brick.findall("file") if el.text],
            }
        )
    return {
        "bricks": bricks,
        "total": sum(b["entries"] for b in bricks if b["entries"] is not None),
        "unreachable": [b["name"] for b in bricks if b["entries"] is None],
    }


def brick_status(name):
    """
    Whether each brick process of a started volume runs (``gluster volume
    status NAME detail``).

    Returns a list in the volume's brick order; each dict has ``name``,
    ``host``, ``path``, ``online`` (bool), ``pid`` and ``port`` (int or None)
    and, when gluster reports them, ``size_total``, ``size_free``,
    ``device``, ``fs``. Bricks on a peer that glusterd cannot reach are
    missing from gluster's answer and are listed as offline. Raises when the
    volume is not started.

    CLI Example:

    .. code-block:: bash

        salt 'controller' gluster.brick_status vm-instances

    name
        The volume.
    """
    root = _run("volume", "status", name, "detail")
    reported = {}
    for node in root.findall("volStatus/volumes/volume/node"):
        host, path = node.findtext("hostname"), node.findtext("path") or ""
        if not path.startswith("/"):
            continue  # self-heal daemon and other services, not bricks
        reported[f"{host}:{path}"] = {
            "name": f"{host}:{path}",
            "host": host,
            "path": path,
            "online": node.findtext("status") == "1",
            "pid": _positive(node.findtext("pid")),
            "port": _positive(node.findtext("ports/tcp") or node.findtext("port")),
            "size_total": _int(node.findtext("sizeTotal")),
            "size_free": _int(node.findtext("sizeFree")),
            "device": node.findtext("device"),
            "fs": node.findtext("fsName"),
        }
    result = []
    for brick in volume_info(name)["bricks"]:
        entry = reported.pop(brick["name"], None)
        if entry is None:
            entry = {
                "name": brick["name"],
                "host": brick["host"],
                "path": brick["path"],
                "online": False,
                "pid": None,
                "port": None,
            }
        result.append(entry)
    result.extend(reported.values())
    return result


# --------------------------------------------------------------------------- layout


def order_bricks(hosts, path=None, replica=None):
    """
    Order bricks so that each replica set (each ``replica`` consecutive
    bricks) spans distinct hosts; the list ``gluster.volume_create`` wants.

    With one brick per host the result is the hosts in the order given. When
    hosts carry several bricks, each replica set takes the hosts with the most
    bricks still unplaced (ties: the order given), so no set holds two bricks
    of one host, e.g. ``[(a, /b1), (a, /b2), (b, /b1), (b, /b2)]`` with
    replica 2 gives ``a:/b1 b:/b1 a:/b2 b:/b2``. Raises SaltInvocationError
    when that is impossible (a host holds more bricks than there are replica
    sets) or the brick count is not a multiple of ``replica``.

    CLI Example:

    .. code-block:: bash

        salt-call gluster.order_bricks '[compute1, compute2, compute3, compute4]' /export/gluster 2

    hosts
        List of hostnames (each with one brick at ``path``) or of (host, path) pairs.
    path
        Brick path for the hosts given by name alone.
    replica
        Replica count; None or 1 for a distributed volume.
    """
    if isinstance(hosts, str) or not hosts:
        raise SaltInvocationError("hosts must be a non-empty list")
    pairs = []
    for item in hosts:
        if isinstance(item, str):
            if not path:
                raise SaltInvocationError(f"host {item} has no brick path and none was given")
            pairs.append(_split_brick((item, path)))
        else:
            pairs.append(_split_brick(item))
    bricks = normalize_bricks(pairs)  # rejects duplicates
    replica = _int(replica if replica is not None else 1)
    if replica is None or replica < 1:
        raise SaltInvocationError("replica must be a positive integer")
    if len(bricks) % replica:
        raise SaltInvocationError(f"{len(bricks)} bricks are not a multiple of replica {replica}")

    # Bricks per host, hosts in first-seen order.
    per_host = {}
    for brick in bricks:
        per_host.setdefault(_split_brick(brick)[0], []).append(brick)
    order = {host: index for index, host in enumerate(per_host)}
    sets = len(bricks) // replica
    busiest = max(len(queue) for queue in per_host.values())
    if replica > 1 and busiest > sets:
        raise SaltInvocationError(
            f"cannot spread {len(bricks)} bricks over replica sets of {replica} distinct hosts: "
            f"a host holds {busiest} bricks and there are only {sets} replica sets"
        )
    result = []
    for _ in range(sets):
        candidates = sorted(
            (host for host, queue in per_host.items() if queue),
            key=lambda host: (-len(per_host[host]), order[host]),
        )
        chosen = candidates[:replica]
        if len(chosen) < replica:  # pragma: no cover - excluded by the check above
            raise SaltInvocationError("not enough distinct hosts for a replica set")
        for host in sorted(chosen, key=order.get):
            result.append(per_host[host].pop(0))
    return result
