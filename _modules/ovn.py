"""
Open vSwitch and OVN databases through their own clients' JSON output.

Reads run ``<tool> --format=json list <Table>`` (several tables in one call,
one transaction) and decode OVSDB's typed values with ``_utils/ovsdb_json.py``;
nothing scrapes the human-readable output. Writes use the clients' own
commands (``set-connection``, ``set``/``remove``, ``--may-exist add-br``).

Which database
--------------
``db`` names one: ``nb`` (OVN Northbound, ``ovn-nbctl``), ``sb`` (OVN
Southbound, ``ovn-sbctl``) or ``ovs`` (the local Open_vSwitch database,
``ovs-vsctl``). Each is reached at, in this order: the ``remote`` argument of a
function, the minion option ``ovn.<db>_remote`` (``ovn.nb_remote``,
``ovn.sb_remote``, ``ovn.ovs_remote``), else the Debian socket
(``unix:/var/run/ovn/ovnnb_db.sock``, ``unix:/var/run/ovn/ovnsb_db.sock``,
``unix:/var/run/openvswitch/db.sock``). The client gives up after
``ovn.timeout`` seconds (default 30), which also bounds how long ovs-vsctl
waits for ovs-vswitchd to apply a bridge change.

Errors
------
A client that fails raises ``CommandExecutionError`` with the command line and
the client's own message (stderr); bad arguments raise ``SaltInvocationError``
naming the argument. Written against Open vSwitch 3.1/3.5 and OVN 23.03/25.03.
"""

import logging
import re

import salt.utils.path
from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    # The decoder, from Salt's utils directory (see its documentation).
    import ovsdb_json
except ImportError:
    ovsdb_json = None

log = logging.getLogger(__name__)

__virtualname__ = "ovn"

_TOOLS = {"nb": "ovn-nbctl", "sb": "ovn-sbctl", "ovs": "ovs-vsctl"}
_DEFAULT_REMOTES = {
    "nb": "unix:/var/run/ovn/ovnnb_db.sock",
    "sb": "unix:/var/run/ovn/ovnsb_db.sock",
    "ovs": "unix:/var/run/openvswitch/db.sock",
}
_GLOBAL_TABLES = {"nb": "NB_Global", "sb": "SB_Global"}
_DEFAULT_TIMEOUT = 30
# The clients' --timeout is an alarm: they die of SIGALRM.
_TIMED_OUT = (142, -14)
_TARGET = re.compile(r"^(p?tcp|p?ssl):\S+$|^p?unix:/\S+$")
DATAPATH_TYPES = ("system", "netdev")
# A bridge's LOCAL port is a network device of the bridge's name (IFNAMSIZ).
_IFNAME = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.:-]{0,14}$")


def __virtual__():
    if ovsdb_json is None:
        return (
            False,
            "ovn module: ovsdb_json from the project's _utils is missing "
            "(saltutil.sync_all syncs it; locally: utils_dirs)",
        )
    if not any(salt.utils.path.which(tool) for tool in _TOOLS.values()):
        return (
            False,
            "ovn module: none of ovs-vsctl, ovn-nbctl, ovn-sbctl is installed "
            "(packages openvswitch-switch, ovn-common)",
        )
    return __virtualname__


# --------------------------------------------------------------------------- helpers


def _check_db(db, allowed=("nb", "sb")):
    if db not in allowed:
        raise SaltInvocationError(f"db must be one of {', '.join(allowed)}, not {db!r}")


def _remote(db, remote):
    if remote is not None:
        if not isinstance(remote, str) or not _TARGET.match(remote):
            raise SaltInvocationError(
                f"remote {remote!r} is not an OVSDB remote (unix:/path, tcp:host:port, ...)"
            )
        return remote
    return __opts__.get(f"ovn.{db}_remote") or _DEFAULT_REMOTES[db]


def _run(db, remote, *args, json=False, wait=True):
    """
    Run the client of ``db`` on ``args``; return its stdout, or the tables of
    its output with ``json=True``. ``wait=False`` (ovs-vsctl only): do not
    wait for ovs-vswitchd to apply the change (``--no-wait``).
    """
    timeout = int(__opts__.get("ovn.timeout") or _DEFAULT_TIMEOUT)
    cmd = [_TOOLS[db], f"--db={_remote(db, remote)}", f"--timeout={timeout}"]
    if json:
        cmd.append("--format=json")
    if not wait:
        cmd.append("--no-wait")
    cmd.extend(str(arg) for arg in args)
    what = " ".join(cmd)
    res = __salt__["cmd.run_all"](cmd, python_shell=False, ignore_retcode=True)
    stderr = (res.get("stderr") or "").strip()
    if res.get("retcode"):
        message = stderr or "no message"
        if res.get("retcode") in _TIMED_OUT:
            message = (
                f"no answer within {timeout} s (no database server there, or, for "
                f"ovs-vsctl, no Open_vSwitch row yet: ovs-vsctl init): {message}"
            )
        raise CommandExecutionError(
            f"{what} failed (exit code {res.get('retcode')}): {message}",
            info={"retcode": res.get("retcode"), "stderr": stderr},
        )
    if stderr:
        log.debug("%s: %s", what, stderr)
    if json:
        return ovsdb_json.tables(res.get("stdout"), what)
    return res.get("stdout") or ""


def normalize_ids(ids, argument="ids"):
    """
    ``external_ids`` as :func:`set_ovs_external_ids` writes them: values as
    strings (True/False as ``true``/``false``, numbers as text), None kept
    (it means: remove the key). Raises SaltInvocationError naming the key
    when a key or value is unusable.

    CLI Example:

    .. code-block:: bash

        salt '*' ovn.normalize_ids '{"ovn-monitor-all": true, "ovn-remote-probe-interval": 60000}'

    ids
        Dict of key: value.
    argument
        The argument's name in error messages.
    """
    value = ids
    if not isinstance(value, dict):
        raise SaltInvocationError(f"{argument} must be a dict of key: value")
    result = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            raise SaltInvocationError(f"{argument}: key {key!r} is not a non-empty string")
        if isinstance(item, bool):
            result[key] = "true" if item else "false"
        elif isinstance(item, (int, float)):
            result[key] = str(item)
        elif item is None or isinstance(item, str):
            result[key] = item
        else:
            raise SaltInvocationError(
                f"{argument}: value of {key} must be a string or None (remove), not {item!r}"
            )
    return result


def normalize_targets(targets):
    """
    The targets as :func:`set_connection` takes them: a sorted list of OVSDB
    remotes (a single string becomes a list). Raises SaltInvocationError on
    anything else and on a target given twice.

    CLI Example:

    .. code-block:: bash

        salt '*' ovn.normalize_targets '["ptcp:6642:192.168.0.5", "pssl:6642"]'

    targets
        List of remotes.
    """
    if isinstance(targets, str):
        targets = [targets]
    if not isinstance(targets, (list, tuple)):
        raise SaltInvocationError("targets must be a list of OVSDB remotes")
    for target in targets:
        if not isinstance(target, str) or not _TARGET.match(target):
            raise SaltInvocationError(
                f"targets: {target!r} is not an OVSDB remote (ptcp:6641:192.0.2.5, "
                "tcp:host:port, ssl:..., punix:/path)"
            )
    if len(set(targets)) != len(targets):
        raise SaltInvocationError(f"targets: a target is given twice in {list(targets)}")
    return sorted(targets)


def _ifname(name, argument):
    if not isinstance(name, str) or not _IFNAME.match(name):
        raise SaltInvocationError(
            f"{argument} {name!r} is not a network device name (1-15 characters: "
            "letters, digits, _ . : -)"
        )
    return name


# --------------------------------------------------------------------------- OVN connections


def get_connection(db, remote=None):
    """
    The targets an OVN database server listens on or connects to, from the
    Connection rows its NB_Global/SB_Global row refers to (what
    ``ovn-nbctl get-connection`` shows), sorted. ``[]`` when there are none.

    CLI Example:

    .. code-block:: bash

        salt controller ovn.get_connection nb

    db
        ``nb`` or ``sb``.
    remote
        The database to ask (default: see the module's documentation).
    """
    _check_db(db)
    table = _GLOBAL_TABLES[db]
    globals_, connections = _run(db, remote, "list", table, "--", "list", "Connection", json=True)
    if not globals_:
        return []
    wanted = set(ovsdb_json.as_list(globals_[0]["connections"]))
    return sorted(row["target"] for row in connections if row["_uuid"] in wanted)


def set_connection(db, targets, remote=None):
    """
    Replace the targets of an OVN database server (``ovn-nbctl set-connection
    TARGET...``; ``del-connection`` for an empty list) and return them as
    :func:`get_connection` reads them back.

    CLI Example:

    .. code-block:: bash

        salt controller ovn.set_connection nb '["ptcp:6641:192.168.0.5"]'

    db
        ``nb`` or ``sb``.
    targets
        List of remotes, e.g. ``ptcp:6641:192.168.0.5`` (listen on that
        address) or ``pssl:6642``.
    remote
        The database to change (default: see the module's documentation).
    """
    _check_db(db)
    targets = normalize_targets(targets)
    if targets:
        _run(db, remote, "set-connection", *targets)
    else:
        _run(db, remote, "del-connection")
    return get_connection(db, remote=remote)


# --------------------------------------------------------------------------- OVN chassis


def chassis(name=None, remote=None):
    """
    The Southbound database's Chassis rows (ovn-controllers that registered),
    sorted by name: each a dict with ``name``, ``hostname``, ``encaps`` (list
    of ``{"type", "ip", "options"}``), ``other_config`` and ``external_ids``
    (dicts: ``ovn-bridge-mappings``, ``ovn-cms-options``, ``iface-types``...
    are in ``other_config`` since OVN 22). With ``name``: that chassis, or
    None.

    CLI Example:

    .. code-block:: bash

        salt controller ovn.chassis
        salt controller ovn.chassis compute1

    name
        A chassis name (its ``system-id``).
    remote
        The Southbound database (default: see the module's documentation).
    """
    rows, encaps = _run("sb", remote, "list", "Chassis", "--", "list", "Encap", json=True)
    encap_by_uuid = {row["_uuid"]: row for row in encaps}
    result = []
    for row in rows:
        own = [encap_by_uuid[uuid] for uuid in ovsdb_json.as_list(row["encaps"])]
        result.append(
            {
                "name": row["name"],
                "hostname": row["hostname"],
                "encaps": [
                    {"type": e["type"], "ip": e["ip"], "options": e["options"]}
                    for e in sorted(own, key=lambda e: (e["type"], e["ip"]))
                ],
                "other_config": row["other_config"],
                "external_ids": row["external_ids"],
            }
        )
    result.sort(key=lambda c: c["name"])
    if name is None:
        return result
    return next((c for c in result if c["name"] == name), None)


# --------------------------------------------------------------------------- local Open vSwitch


def ovs_external_ids(remote=None):
    """
    The local Open_vSwitch row's ``external_ids`` (``system-id``,
    ``hostname``, ``ovn-remote``, ``ovn-encap-type``, ``ovn-encap-ip``,
    ``ovn-bridge-mappings``...) as a dict. ``{}`` before the database is
    initialised (no row).

    CLI Example:

    .. code-block:: bash

        salt compute1 ovn.ovs_external_ids

    remote
        The Open vSwitch database (default: see the module's documentation).
    """
    (rows,) = _run("ovs", remote, "--columns=external_ids", "list", "Open_vSwitch", json=True)
    return dict(rows[0]["external_ids"]) if rows else {}


def set_ovs_external_ids(ids, remote=None):
    """
    Set exactly the given keys of the local Open_vSwitch row's
    ``external_ids`` in one transaction (a key whose value is None is
    removed); keys not given are left as they are. Returns all the
    ``external_ids`` afterwards.

    CLI Example:

    .. code-block:: bash

        salt compute1 ovn.set_ovs_external_ids '{"ovn-encap-ip": "192.168.0.11"}'

    ids
        Dict of key: value (strings; True/False become ``true``/``false``,
        numbers text; None removes the key).
    remote
        The Open vSwitch database (default: see the module's documentation).
    """
    ids = normalize_ids(ids)
    if not ids:
        raise SaltInvocationError("ids must name at least one key")
    q = ovsdb_json.quote
    args = []
    for key, value in sorted(ids.items()):
        if args:
            args.append("--")
        if value is None:
            args += ["remove", "Open_vSwitch", ".", "external_ids", q(key)]
        else:
            args += ["set", "Open_vSwitch", ".", f"external_ids:{q(key)}={q(value)}"]
    # ovs-vswitchd does not act on external_ids: nothing to wait for.
    _run("ovs", remote, *args, wait=False)
    return ovs_external_ids(remote=remote)


def bridges(remote=None):
    """
    The local Open vSwitch bridges as a dict name -> ``{"name",
    "datapath_type", "ports", "interfaces", "external_ids"}``:
    ``datapath_type`` is ``system`` when the database leaves it empty (that is
    OVS's default); ``ports`` the sorted port names other than the bridge's own
    internal port; ``interfaces`` name -> ``{"port", "type", "ofport",
    "error"}`` for every interface of those ports (``error`` is what
    ovs-vswitchd could not do with it, e.g. ``could not open network device
    eth2 (No such device)``, else None).

    CLI Example:

    .. code-block:: bash

        salt compute1 ovn.bridges

    remote
        The Open vSwitch database (default: see the module's documentation).
    """
    bridge_rows, port_rows, iface_rows = _run(
        "ovs",
        remote,
        "--columns=_uuid,name,datapath_type,ports,external_ids",
        "list",
        "Bridge",
        "--",
        "--columns=_uuid,name,interfaces",
        "list",
        "Port",
        "--",
        "--columns=_uuid,name,type,ofport,error",
        "list",
        "Interface",
        json=True,
    )
    ports = {row["_uuid"]: row for row in port_rows}
    ifaces = {row["_uuid"]: row for row in iface_rows}
    result = {}
    for row in bridge_rows:
        name = row["name"]
        own_ports = [ports[uuid] for uuid in ovsdb_json.as_list(row["ports"]) if uuid in ports]
        interfaces = {}
        for port in own_ports:
            if port["name"] == name:
                continue
            for uuid in ovsdb_json.as_list(port["interfaces"]):
                iface = ifaces.get(uuid)
                if iface is None:
                    continue
                interfaces[iface["name"]] = {
                    "port": port["name"],
                    "type": iface["type"] or "system",
                    "ofport": ovsdb_json.as_scalar(iface["ofport"]),
                    "error": ovsdb_json.as_scalar(iface["error"]),
                }
        result[name] = {
            "name": name,
            "datapath_type": row["datapath_type"] or "system",
            "ports": sorted(p["name"] for p in own_ports if p["name"] != name),
            "interfaces": interfaces,
            "external_ids": row["external_ids"],
        }
    return result


def bridge(name, remote=None):
    """
    One local Open vSwitch bridge as :func:`bridges` describes it, or None.

    CLI Example:

    .. code-block:: bash

        salt compute1 ovn.bridge br-provider

    name
        The bridge's name.
    remote
        The Open vSwitch database (default: see the module's documentation).
    """
    return bridges(remote=remote).get(_ifname(name, "name"))


def bridge_datapath(name, remote=None):
    """
    The datapath type of a local bridge (``system`` or ``netdev``), None when
    there is no such bridge.

    CLI Example:

    .. code-block:: bash

        salt compute1 ovn.bridge_datapath br-provider

    name
        The bridge's name.
    remote
        The Open vSwitch database (default: see the module's documentation).
    """
    found = bridge(name, remote=remote)
    return found["datapath_type"] if found else None


def add_bridge(name, datapath_type=None, ports=None, remote=None):
    """
    Make sure a bridge exists, with that datapath type and those ports, in one
    ovs-vsctl transaction (``--may-exist add-br``, ``set Bridge ...
    datapath_type=``, ``--may-exist add-port`` for each port); other ports are
    left alone. Waits for ovs-vswitchd to apply it (``ovn.timeout``), then
    returns the bridge as :func:`bridge` reads it; raises
    CommandExecutionError when ovs-vswitchd reports an error on one of the
    ports (ovs-vsctl only warns about those).

    CLI Example:

    .. code-block:: bash

        salt compute1 ovn.add_bridge br-provider datapath_type=netdev ports='["eth2"]'

    name
        The bridge's name (a network device name, 15 characters at most).
    datapath_type
        ``system`` (the kernel datapath) or ``netdev`` (userspace); None
        leaves it as it is (a new bridge: OVS's default, system).
    ports
        List of network devices to attach as system ports. A device that is
        a port of another bridge is refused by ovs-vsctl.
    remote
        The Open vSwitch database (default: see the module's documentation).
    """
    ports = normalize_bridge(name, datapath_type, ports)["ports"]
    args = ["--may-exist", "add-br", name]
    if datapath_type is not None:
        args += ["--", "set", "Bridge", name, f"datapath_type={datapath_type}"]
    for port in ports:
        args += ["--", "--may-exist", "add-port", name, port]
    _run("ovs", remote, *args)
    found = bridge(name, remote=remote)
    if found is None:
        raise CommandExecutionError(f"ovs-vsctl add-br {name}: the bridge is not in the database")
    errors = port_errors(found, ports)
    if errors:
        raise CommandExecutionError(f"bridge {name}: {'; '.join(errors)}")
    return found


def normalize_bridge(name, datapath_type=None, ports=None):
    """
    A bridge's arguments as :func:`add_bridge` takes them, checked: ``name``
    and each port a network device name, ``datapath_type`` None, ``system``
    or ``netdev``, ports a list with none twice and none the bridge's own
    name. Returns ``{"name", "datapath_type", "ports"}`` (ports a list, [] for
    None); raises SaltInvocationError naming the argument.

    CLI Example:

    .. code-block:: bash

        salt '*' ovn.normalize_bridge br-provider netdev '["eth2"]'

    name
        The bridge's name.
    datapath_type
        ``system``, ``netdev`` or None.
    ports
        List of network device names.
    """
    _ifname(name, "name")
    if datapath_type is not None and datapath_type not in DATAPATH_TYPES:
        raise SaltInvocationError(
            f"datapath_type must be one of {', '.join(DATAPATH_TYPES)}, not {datapath_type!r}"
        )
    if ports is None:
        ports = []
    if isinstance(ports, str) or not isinstance(ports, (list, tuple)):
        raise SaltInvocationError("ports must be a list of network device names")
    for port in ports:
        _ifname(port, "ports: port")
        if port == name:
            raise SaltInvocationError(f"ports: {port} is the bridge's own internal port")
    if len(set(ports)) != len(ports):
        raise SaltInvocationError(f"ports: a port is given twice in {list(ports)}")
    return {"name": name, "datapath_type": datapath_type, "ports": list(ports)}


def port_errors(found, ports):
    """
    What ovs-vswitchd reports as wrong with the given ports of a bridge (as
    :func:`bridge` returns it): one ``port P: interface I: error`` text each,
    and ``port P: not on the bridge`` for a missing one.

    CLI Example:

    .. code-block:: bash

        salt compute1 ovn.port_errors "$(salt-call --out=json ovn.bridge br-provider)" '["eth2"]'

    found
        The bridge, from :func:`bridge`.
    ports
        Port names.
    """
    errors = []
    for port in ports:
        if port not in found["ports"]:
            errors.append(f"port {port}: not on the bridge")
            continue
        for iface_name, iface in sorted(found["interfaces"].items()):
            if iface["port"] == port and iface["error"]:
                errors.append(f"port {port}: interface {iface_name}: {iface['error']}")
    return errors
