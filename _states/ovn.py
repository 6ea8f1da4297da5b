"""
OVN database connections, the local Open vSwitch's external_ids and OVS
bridges, kept as the state says.

Uses the ``ovn`` execution module (``_modules/ovn.py``). Arguments are checked
first (also under ``test=True``); under ``test=True`` only reading calls are
made and the return says what would change; a second run reports no changes.
Each state takes ``remote``: which database to talk to (default: as the
execution module says, the local Debian socket).

Salt 3008 ships no Open vSwitch states (``openvswitch_bridge`` and
``openvswitch_port`` are no longer in Salt's tree, and 3006's could not set a
bridge's datapath type), hence :func:`bridge`.
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "ovn"


def __virtual__():
    if "ovn.get_connection" in __salt__:
        return __virtualname__
    return (False, "ovn state: the ovn execution module is not available")


def _ret(name):
    return {"name": name, "result": True, "comment": "", "changes": {}}


def _none(values):
    return ", ".join(values) or "none"


def connection(name, targets, remote=None):
    """
    Make an OVN database server listen on (or connect to) exactly these
    targets (``ovn-nbctl``/``ovn-sbctl set-connection``). Order does not
    matter; an empty list removes every connection.

    .. code-block:: yaml

        ovn-nb-connection:
          ovn.connection:
            - name: nb
            - targets:
              - ptcp:6641:192.168.0.5

    name
        ``nb`` or ``sb``.
    targets
        List of OVSDB remotes (``ptcp:6642:192.168.0.5``, ``pssl:6642``...).
    remote
        The database to manage (default: the local Debian socket).
    """
    ret = _ret(name)
    try:
        wanted = __salt__["ovn.normalize_targets"](targets)
        current = __salt__["ovn.get_connection"](name, remote=remote)
        if current == wanted:
            ret["comment"] = f"{name} connections are already {_none(current)}"
            return ret
        changes = {"targets": {"old": current, "new": wanted}}
        if __opts__["test"]:
            ret.update(
                result=None,
                comment=f"{name} connections would be set to {_none(wanted)}",
                changes=changes,
            )
            return ret
        new = __salt__["ovn.set_connection"](name, wanted, remote=remote)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret.update(result=False, comment=str(exc))
        return ret
    if new != wanted:
        ret.update(
            result=False,
            comment=f"{name} connections are {_none(new)} after set-connection, "
            f"not {_none(wanted)}",
        )
        if new != current:
            ret["changes"] = {"targets": {"old": current, "new": new}}
        return ret
    ret.update(comment=f"{name} connections set to {_none(new)}", changes=changes)
    return ret


def ovs_external_ids(name, ids, remote=None):
    """
    Make the local Open_vSwitch row's ``external_ids`` hold these keys with
    these values (a value of None: the key is absent). Keys not named are
    left alone (ovn-controller and ovs-ctl write some of their own).

    .. code-block:: yaml

        ovn-chassis-external-ids:
          ovn.ovs_external_ids:
            - ids:
                system-id: compute1
                hostname: compute1
                ovn-remote: tcp:192.168.0.5:6642
                ovn-encap-type: geneve
                ovn-encap-ip: 192.168.0.11
                ovn-bridge-mappings: provider:br-provider

    name
        A label (the state ID).
    ids
        Dict of key: value (strings; True/False become ``true``/``false``,
        numbers text; None removes the key).
    remote
        The Open vSwitch database (default: the local Debian socket).

    The changes name each key that changes, ``{"old": ..., "new": ...}``
    (None: absent).
    """
    ret = _ret(name)
    try:
        wanted = __salt__["ovn.normalize_ids"](ids)
        if not wanted:
            raise SaltInvocationError("ids must name at least one key")
        current = __salt__["ovn.ovs_external_ids"](remote=remote)
        changes = {
            key: {"old": current.get(key), "new": value}
            for key, value in sorted(wanted.items())
            if current.get(key) != value
        }
        if not changes:
            ret["comment"] = f"external_ids {_none(sorted(wanted))} are already as wanted"
            return ret
        if __opts__["test"]:
            ret.update(
                result=None,
                comment=f"external_ids {_none(changes)} would be changed",
                changes=changes,
            )
            return ret
        new = __salt__["ovn.set_ovs_external_ids"](
            {key: wanted[key] for key in changes}, remote=remote
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret.update(result=False, comment=str(exc))
        return ret
    done = {key: {"old": change["old"], "new": new.get(key)} for key, change in changes.items()}
    ret["changes"] = {key: change for key, change in done.items() if change["old"] != change["new"]}
    wrong = sorted(key for key in changes if new.get(key) != wanted[key])
    if wrong:
        ret.update(result=False, comment=f"external_ids {_none(wrong)} did not take the value")
        return ret
    ret["comment"] = f"external_ids {_none(changes)} changed"
    return ret


def bridge(name, datapath_type="system", ports=None, remote=None):
    """
    Make sure an Open vSwitch bridge exists with this datapath type and these
    system ports (``ovs-vsctl --may-exist add-br``/``add-port``, ``set Bridge
    datapath_type``). Ports not named are left alone: ovn-controller adds its
    patch ports to the bridges of ``ovn-bridge-mappings``. Fails when
    ovs-vswitchd reports an error on a named port (a device that does not
    exist, say), on every run while the error lasts.

    .. code-block:: yaml

        ovn-bridge-br-provider:
          ovn.bridge:
            - name: br-provider
            - datapath_type: netdev
            - ports:
              - eth2

    name
        The bridge's name (a network device name, 15 characters at most).
    datapath_type
        ``system`` (the kernel datapath, OVS's default) or ``netdev``
        (userspace).
    ports
        List of network devices to attach.
    remote
        The Open vSwitch database (default: the local Debian socket).
    """
    ret = _ret(name)
    try:
        wanted = __salt__["ovn.normalize_bridge"](name, datapath_type, ports)
        if wanted["datapath_type"] is None:
            raise SaltInvocationError("datapath_type must be one of system, netdev, not None")
        current = __salt__["ovn.bridge"](name, remote=remote)
        changes = {}
        if current is None:
            changes["bridge"] = {"old": None, "new": name}
            changes["datapath_type"] = {"old": None, "new": datapath_type}
            if wanted["ports"]:
                changes["ports"] = {"old": [], "new": sorted(wanted["ports"])}
        else:
            if current["datapath_type"] != datapath_type:
                changes["datapath_type"] = {"old": current["datapath_type"], "new": datapath_type}
            missing = [port for port in wanted["ports"] if port not in current["ports"]]
            if missing:
                changes["ports"] = {
                    "old": current["ports"],
                    "new": sorted(set(current["ports"]) | set(missing)),
                }
        if not changes:
            errors = __salt__["ovn.port_errors"](current, wanted["ports"])
            if errors:
                ret.update(result=False, comment=f"bridge {name}: {'; '.join(errors)}")
                return ret
            ret["comment"] = (
                f"bridge {name} ({datapath_type}) already has ports {_none(wanted['ports'])}"
            )
            return ret
        if __opts__["test"]:
            ret.update(
                result=None, comment=f"bridge {name} would be {_what(changes)}", changes=changes
            )
            return ret
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret.update(result=False, comment=str(exc))
        return ret
    try:
        __salt__["ovn.add_bridge"](name, datapath_type, wanted["ports"], remote=remote)
    except (CommandExecutionError, SaltInvocationError) as exc:
        # A port ovs-vswitchd cannot open is in the database all the same.
        try:
            changed = __salt__["ovn.bridge"](name, remote=remote) != current
        except CommandExecutionError:
            changed = False
        ret.update(result=False, comment=str(exc), changes=changes if changed else {})
        return ret
    ret.update(comment=f"bridge {name} {_what(changes)}", changes=changes)
    return ret


def _what(changes):
    if "bridge" in changes:
        return "created" + (
            f" with ports {_none(changes['ports']['new'])}" if "ports" in changes else ""
        )
    parts = []
    if "datapath_type" in changes:
        parts.append(f"switched to datapath {changes['datapath_type']['new']}")
    if "ports" in changes:
        added = sorted(set(changes["ports"]["new"]) - set(changes["ports"]["old"]))
        parts.append(f"given ports {_none(added)}")
    return " and ".join(parts)
