"""
GlusterFS peers and volumes, kept as pillar describes them.

Uses the ``gluster`` execution module (``_modules/gluster.py``). Under
``test=True`` only reading calls are made (peer status, volume list/info/get)
and the return says what would change. A volume that exists is never
re-created or reshaped: when pillar asks for a layout that would drop data
or needs an operator (shrinking the replica count, dropping a brick,
different or re-ordered replica sets, adding bricks), the state fails with a
comment saying why and what to do by hand, and changes nothing.
"""

import socket

import salt.utils.network
from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "gluster"

# `peer status` state number of a rejected peer (GD_FRIEND_STATE_REJECTED).
_PEER_REJECTED = 6
# Turning sharding off on a volume holding sharded files makes the files
# unreadable through the mount (gluster's own warning); never do it here.
_ONE_WAY_OPTIONS = {"features.shard": "on"}


def __virtual__():
    if "gluster.peer_status" in __salt__:
        return __virtualname__
    return (False, "gluster state: the gluster execution module is not available")


def _ret(name):
    return {"name": name, "result": True, "comment": "", "changes": {}}


def _is_local(host):
    """
    True when ``host`` names this machine (gluster then needs no probe).
    """
    if host in ("localhost", __grains__.get("host"), __grains__.get("fqdn"), __grains__.get("id")):
        return True
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    local = set(salt.utils.network.ip_addrs(include_loopback=True))
    local |= set(salt.utils.network.ip_addrs6(include_loopback=True))
    return bool(addresses & local)


def peered(name):  # noqa: PLR0911
    """
    Make sure ``name`` is a peer of this node's trusted pool (probe it if not).

    Probing this node itself or a host already in the pool changes nothing.
    A peer gluster has rejected (``Peer Rejected``: its volume configuration
    conflicts with the pool's) fails: that needs an operator.

    .. code-block:: yaml

        glusterfs-peer-compute1:
          gluster.peered:
            - name: compute1

    name
        Hostname or address of the peer.
    """
    ret = _ret(name)
    try:
        peers = __salt__["gluster.peer_status"]()
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc))
        return ret
    for peer in peers:
        if name in peer["hostnames"] or name == peer["uuid"]:
            state = peer["state"] or "unknown state"
            connected = "connected" if peer["connected"] else "disconnected"
            if peer["state_id"] == _PEER_REJECTED:
                ret.update(
                    result=False,
                    comment=f"Peer {name} is in state '{state}': its volume configuration "
                    "differs from the pool's; resolve it by hand (see gluster's "
                    "'Resolving Peer Rejected' procedure)",
                )
                return ret
            ret["comment"] = f"{name} is already a peer ({state}, {connected})"
            return ret
    if __opts__["test"]:
        if _is_local(name):
            ret["comment"] = f"{name} is this node: no probe needed"
            return ret
        ret.update(
            result=None,
            comment=f"{name} would be probed",
            changes={"peer": {"old": None, "new": name}},
        )
        return ret
    try:
        probe = __salt__["gluster.peer_probe"](name)
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc))
        return ret
    if probe["probed"]:
        ret.update(
            comment=f"Probed {name}: {probe['message']}",
            changes={"peer": {"old": None, "new": name}},
        )
    else:
        ret["comment"] = f"{name}: {probe['message']}"
    return ret


def _replica_sets(bricks, replica):
    replica = replica or 1
    return [bricks[i : i + replica] for i in range(0, len(bricks), replica)]


def _layout_problems(name, info, bricks, replica, transport):
    """
    Why the existing volume cannot be turned into the one asked for, as a
    list of sentences; empty when the layouts are the same.
    """
    problems = []
    have_replica = info["replica_count"] or 1
    want_replica = replica or 1
    have = [b["name"] for b in info["bricks"]]
    if info.get("disperse_count") or info.get("arbiter_count"):
        problems.append(
            f"volume {name} is of type {info['type']} (disperse/arbiter), which this state "
            "does not manage"
        )
    if want_replica < have_replica:
        problems.append(
            f"the replica count would shrink from {have_replica} to {want_replica}, dropping "
            f"copies of every file; do it by hand if really wanted, after `gluster volume heal "
            f"{name} info` shows 0 entries: `gluster volume remove-brick {name} replica "
            f"{want_replica} BRICK... force`"
        )
    dropped = [b for b in have if b not in bricks]
    if dropped:
        problems.append(
            f"brick(s) {', '.join(dropped)} hold data of volume {name} and are not in the "
            "requested bricks; dropping them would lose data (migrate with `gluster volume "
            "remove-brick ... start` by hand)"
        )
    added = [b for b in bricks if b not in have]
    if not dropped and want_replica >= have_replica and added:
        how = f"`gluster volume add-brick {name} "
        if want_replica > have_replica:
            how += f"replica {want_replica} "
        how += " ".join(added) + "`"
        if want_replica == have_replica:
            how += f" then `gluster volume rebalance {name} start`"
        problems.append(
            f"brick(s) {', '.join(added)} are not in volume {name}; growing a volume is left "
            f"to an operator: {how}"
        )
    elif dropped and added:
        problems.append(
            f"the requested bricks differ from volume {name}'s ({' '.join(have)}): that would "
            "mean re-creating the volume"
        )
    if not problems and want_replica > have_replica:
        problems.append(
            f"the replica count would grow from {have_replica} to {want_replica} over the same "
            "bricks: that would mean re-creating the volume"
        )
    if not problems:
        # Same bricks, same replica: the replica sets must match too (the order
        # inside a set does not matter, the grouping does).
        have_sets = sorted(sorted(s) for s in _replica_sets(have, have_replica))
        want_sets = sorted(sorted(s) for s in _replica_sets(bricks, want_replica))
        if have_sets != want_sets:
            problems.append(
                f"the requested brick order groups the bricks into different replica sets than "
                f"volume {name} has ({' '.join(have)}): that would mean re-creating the volume"
            )
    if transport and info.get("transport") and transport != info["transport"]:
        problems.append(
            f"volume {name} uses transport {info['transport']}, not {transport}: that would "
            "mean re-creating the volume"
        )
    return problems


def _wanted_options(options):
    """
    Expand ``group`` keys into the group's options; explicit keys win.
    """
    wanted = {}
    explicit = {}
    for key, value in (options or {}).items():
        if key == "group":
            groups = value if isinstance(value, list) else [value]
            for group in groups:
                wanted.update(__salt__["gluster.group_options"](group))
        else:
            explicit[key] = value
    wanted.update(explicit)
    return {key: __salt__["gluster.option_value"](value) for key, value in wanted.items()}


def _option_diff(current, wanted):
    """
    (old, new, refused) for the options whose current value differs.
    """
    old, new, refused = {}, {}, []
    for key, value in wanted.items():
        cur = current.get(key)
        if __salt__["gluster.option_equal"](cur, value, key=key):
            continue
        locked = _ONE_WAY_OPTIONS.get(key)
        if locked and __salt__["gluster.option_equal"](cur, locked):
            refused.append(
                f"{key} is {cur} and would become {value}: files written while it was "
                f"{locked} would become unreadable; not changing it"
            )
            continue
        old[key] = cur
        new[key] = value
    return old, new, refused


def volume_present(  # noqa: PLR0917
    name, bricks, replica=None, start=True, options=None, force=False, transport="tcp"
):
    """
    Make sure a volume exists with these bricks, is started, and has these
    options.

    When the volume is absent it is created with the bricks in the order
    given (each ``replica`` consecutive bricks one replica set: order them
    with ``gluster.order_bricks``), started if ``start``, and the options
    set. When it exists, only the options that differ are set and it is
    started if ``start`` and not started; ``start: False`` never stops a
    volume.

    Refused (result False, nothing changed), when the existing volume differs:

    - a smaller replica count than the volume has (shrinking the replica);
    - an existing brick missing from ``bricks`` (dropping a brick that holds data);
    - other bricks, or the same bricks grouped into other replica sets, or a
      larger replica over the same bricks (that would be re-creating it);
    - more bricks than the volume has (growing): also refused, on purpose.
      Adding bricks and rebalancing is an operator's call; the comment gives
      the ``gluster volume add-brick`` (and ``rebalance``) command to run by hand;
    - ``features.shard`` turned off once it is on.

    Bricks compare as ``host:/path`` text (trailing ``/`` ignored): use the
    host names the volume was created with.

    .. code-block:: yaml

        glusterfs-volume-vm-instances:
          gluster.volume_present:
            - name: vm-instances
            - bricks:
              - compute1:/export/gluster
              - compute2:/export/gluster
            - replica: 2
            - options:
                group: virt
                performance.strict-o-direct: "on"

    name
        Volume name.
    bricks
        List of ``host:/path``, replica sets consecutive.
    replica
        Replica count (2 or more); None for a plain distributed volume.
    start
        Start the volume when it is not started.
    options
        Dict of option name to value; key ``group``: a gluster option group (``virt``), expanded.
    force
        Create with ``force`` (bricks on the root filesystem...).
    transport
        ``tcp`` (default), ``rdma`` or ``tcp,rdma``.
    """
    ret = _ret(name)
    test = __opts__["test"]
    try:
        bricks = __salt__["gluster.normalize_bricks"](bricks)
        if replica is not None:
            replica = int(replica)
            if replica < 2:
                raise SaltInvocationError("replica must be 2 or more (or None)")
            if len(bricks) % replica:
                raise SaltInvocationError(
                    f"{len(bricks)} bricks are not a multiple of replica {replica}"
                )
        wanted_options = _wanted_options(options)
    except (SaltInvocationError, CommandExecutionError, TypeError, ValueError) as exc:
        ret.update(result=False, comment=f"Invalid arguments for volume {name}: {exc}")
        return ret

    comments = []
    try:
        exists = name in __salt__["gluster.list_volumes"]()
        if not exists:
            new = {"bricks": bricks, "replica": replica, "transport": transport}
            if test:
                ret["changes"]["volume"] = {"old": None, "new": new}
                if start:
                    ret["changes"]["status"] = {"old": None, "new": "Started"}
                if wanted_options:
                    ret["changes"]["options"] = {"old": {}, "new": wanted_options}
                ret.update(result=None, comment=f"Volume {name} would be created")
                return ret
            __salt__["gluster.volume_create"](
                name, bricks, replica=replica, force=force, transport=transport
            )
            ret["changes"]["volume"] = {"old": None, "new": new}
            comments.append(f"Created volume {name}")
        info = __salt__["gluster.volume_info"](name)
        if exists:
            problems = _layout_problems(name, info, bricks, replica, transport)
            if problems:
                ret.update(
                    result=False,
                    comment=f"Refusing to change volume {name}: "
                    + "; ".join(problems)
                    + ". Nothing was changed.",
                )
                return ret

        current = {}
        if wanted_options:
            current = __salt__["gluster.get_options"](name)
            # `volume get all` leaves out user.* options; `volume info` has them.
            current.update(info["options"])
        old_opts, new_opts, refused = _option_diff(current, wanted_options)
        if refused:
            ret.update(
                result=False,
                comment=f"Refusing to change volume {name}: "
                + "; ".join(refused)
                + ". Nothing was changed.",
            )
            return ret

        if start and info["status"] != "Started":
            if test:
                comments.append(f"Volume {name} would be started")
            else:
                __salt__["gluster.volume_start"](name)
                comments.append(f"Started volume {name}")
            ret["changes"]["status"] = {"old": info["status"], "new": "Started"}

        if new_opts:
            if test:
                comments.append(f"Options {', '.join(sorted(new_opts))} would be set")
            else:
                __salt__["gluster.set_options"](name, new_opts)
                comments.append(f"Set options {', '.join(sorted(new_opts))}")
            ret["changes"]["options"] = {"old": old_opts, "new": new_opts}
    except CommandExecutionError as exc:
        ret.update(result=False, comment="; ".join([*comments, str(exc)]))
        return ret

    if test and ret["changes"]:
        ret["result"] = None
    ret["comment"] = "; ".join(comments) or f"Volume {name} is as requested"
    return ret


def volume_started(name):
    """
    Make sure an existing volume is started.

    .. code-block:: yaml

        glusterfs-volume-vm-instances-started:
          gluster.volume_started:
            - name: vm-instances

    name
        Volume name.
    """
    ret = _ret(name)
    try:
        if name not in __salt__["gluster.list_volumes"]():
            ret.update(result=False, comment=f"Volume {name} does not exist")
            return ret
        status = __salt__["gluster.volume_info"](name)["status"]
        if status == "Started":
            ret["comment"] = f"Volume {name} is started"
            return ret
        ret["changes"] = {"status": {"old": status, "new": "Started"}}
        if __opts__["test"]:
            ret.update(result=None, comment=f"Volume {name} would be started")
            return ret
        __salt__["gluster.volume_start"](name)
        ret["comment"] = f"Started volume {name}"
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc), changes={})
    return ret


def option_present(name, key, value):
    """
    Make sure one option of an existing volume has this value.

    .. code-block:: yaml

        glusterfs-volume-vm-instances-strict-o-direct:
          gluster.option_present:
            - name: vm-instances
            - key: performance.strict-o-direct
            - value: "on"

    name
        Volume name.
    key
        Full option name.
    value
        The value.
    """
    ret = _ret(name)
    try:
        wanted = {key: __salt__["gluster.option_value"](value)}
        if name not in __salt__["gluster.list_volumes"]():
            ret.update(result=False, comment=f"Volume {name} does not exist")
            return ret
        current = __salt__["gluster.get_options"](name)
        current.update(__salt__["gluster.volume_info"](name)["options"])
        old, new, refused = _option_diff(current, wanted)
        if refused:
            ret.update(result=False, comment="; ".join(refused))
            return ret
        if not new:
            ret["comment"] = f"{key} is {wanted[key]} on volume {name}"
            return ret
        ret["changes"] = {"options": {"old": old, "new": new}}
        if __opts__["test"]:
            ret.update(result=None, comment=f"{key} would be set to {wanted[key]}")
            return ret
        __salt__["gluster.set_options"](name, new)
        ret["comment"] = f"Set {key} to {wanted[key]} on volume {name}"
    except CommandExecutionError as exc:
        ret.update(result=False, comment=str(exc), changes={})
    return ret
