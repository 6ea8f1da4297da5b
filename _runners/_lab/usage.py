"""
CPU time the lab's hosts used, from their containers' cgroups: on a 2-core
machine a deployment cannot take less wall time than its CPU seconds / 2,
so this says whether it is bound by work or by waiting.

LXC puts each container's processes in the cgroup ``lxc.payload.<name>``:
cgroup v2 counts its CPU time in ``cpu.stat`` (``usage_usec``), v1 in
``cpuacct/…/cpuacct.usage`` (nanoseconds).
"""

import json
import os

CGROUP_ROOT = "/sys/fs/cgroup"


def _read(path):
    try:
        with open(path, encoding="utf-8") as fh_:
            return fh_.read()
    except OSError:
        return None


def cpu_seconds(name, root=CGROUP_ROOT):
    """CPU seconds container ``name`` has used since it started (None: no
    such cgroup)."""
    stat = _read(os.path.join(root, f"lxc.payload.{name}", "cpu.stat"))
    if stat is not None:
        for line in stat.splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) / 1e6
    usage = _read(os.path.join(root, "cpuacct", f"lxc.payload.{name}", "cpuacct.usage"))
    if usage is not None:
        return int(usage.strip()) / 1e9
    return None


def snapshot(names, root=CGROUP_ROOT):
    """``{host: CPU seconds}`` of the hosts whose cgroup exists."""
    found = {name: cpu_seconds(name, root) for name in sorted(names)}
    return {name: value for name, value in found.items() if value is not None}


def report(before, after, wall, cores):
    """What the hosts used between two snapshots: per host, the total, and
    wall / (CPU seconds / cores), the factor by which the run was slower
    than its work alone would allow (1.0: every core busy all along). A
    host missing from ``before`` (started in between) counts from zero."""
    used = {
        name: round(value - before.get(name, 0.0), 1)
        for name, value in sorted(after.items())
        if value >= before.get(name, 0.0)
    }
    total = round(sum(used.values()), 1)
    ratio = round(wall / (total / cores), 2) if total else None
    return {"cpu seconds": used, "total": total, "wall": wall, "cores": cores, "ratio": ratio}


def save(path, data):
    """Write a snapshot as JSON (for the second call of ``lab.cpu``)."""
    with open(path, "w", encoding="utf-8") as fh_:
        json.dump(data, fh_)


def load(path):
    """A snapshot written by ``save``; {} if there is none."""
    text = _read(path)
    return json.loads(text) if text else {}
