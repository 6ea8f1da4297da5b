"""
The state tree's own data, merged as ``salt/map.jinja`` merges it, and the
schema of the pillar.

- ``tree(salt_dir)`` reads ``defaults.yaml``, ``osfamilymap.yaml`` and
  ``releases.yaml`` from the state tree and ``pillar.example`` beside it;
- ``effective(tree, openstack, grains)`` is the ``openstack`` data a host of
  that platform sees: defaults, then the OS family's, then the OpenStack
  release's on that platform, then the pillar's (Salt's ``defaults.merge``);
- ``schema(tree)`` is what ``openstack:`` may hold: the keys of
  pillar.example (a map of the user's own names is marked there by a comment
  naming its levels, ``hosts:  # <host>``) and of the tree's data files;
  ``check_keys`` reports any other key with the nearest known one.
"""

import copy
import difflib
import os
import re

import salt.utils.dictupdate
import salt.utils.yaml
from salt.exceptions import SaltInvocationError

# The platform of a host the master has no grains of (a minion that never
# connected): the one the tree is proven on.
ASSUMED_PLATFORM = {"os_family": "Debian", "os": "Debian", "osmajorrelease": 13}

# The state tree's data files (salt/), merged in this order by map.jinja, and
# the schema of the pillar (beside salt/).
DATA_FILES = ("defaults", "osfamilymap", "releases")
SCHEMA_FILE = "pillar.example"
# pillar.example marks a map of the user's own names with a comment naming
# its levels: `hosts:  # <host>`, `config_overrides: {}  # <a>:<b>:<c>:<d>`.
FREE_FORM = re.compile(r"^\s*#\s*(<[^<>\s]+>(?::<[^<>\s]+>)*)")
SCHEMA_KEY = re.compile(r"^(\s*)([A-Za-z0-9_.-]+):(.*)$")


def read_yaml(path):
    """A YAML file read as Salt reads it (empty: {})."""
    with open(path, encoding="utf-8") as fh_:
        return salt.utils.yaml.safe_load(fh_) or {}


def tree(salt_dir):
    """The tree's data files and the pillar's schema, as read now."""
    found = {name: read_yaml(os.path.join(salt_dir, f"{name}.yaml")) for name in DATA_FILES}
    schema_file = os.path.join(os.path.dirname(os.path.abspath(salt_dir)), SCHEMA_FILE)
    if not os.path.isfile(schema_file):
        raise SaltInvocationError(
            f"{schema_file}: not found (the pillar's schema, beside {salt_dir})"
        )
    with open(schema_file, encoding="utf-8") as fh_:
        text = fh_.read()
    found["example"] = salt.utils.yaml.safe_load(text) or {}
    found["free"] = _free_forms(text, found["example"], schema_file)
    return found


def merge(dest, upd):
    """Salt's ``defaults.merge`` (map.jinja's): ``upd`` recursively over
    ``dest``, mappings merged, anything else (lists too) replaced."""
    return salt.utils.dictupdate.update(dest, copy.deepcopy(upd), merge_lists=False)


def major(grains):
    """A platform's major release (grains ``osmajorrelease``), 0 if none."""
    try:
        return int(grains.get("osmajorrelease") or 0)
    except (TypeError, ValueError):
        return 0


def label(grains):
    """A platform as people name it: ``Debian 12``, ``CentOS Stream 9``."""
    return f"{grains.get('os') or grains.get('os_family')} {major(grains)}"


def offered(tree_, grains):
    """release name -> data, for the releases a platform offers (None: the
    platform is not in releases.yaml)."""
    family = (tree_["releases"].get("platforms") or {}).get(grains.get("os_family")) or {}
    return family.get(major(grains))


def effective(tree_, openstack, grains=None):
    """The ``openstack`` data a host of platform ``grains`` (default: the
    assumed platform) sees: defaults, OS family, release, then ``openstack``
    (the pillar's). Merging it again is a no-op, so effective data may be
    passed too."""
    grains = grains or ASSUMED_PLATFORM
    openstack = openstack if isinstance(openstack, dict) else {}
    data = copy.deepcopy(tree_["defaults"].get("openstack") or {})
    merge(data, tree_["osfamilymap"].get(grains.get("os_family")) or {})
    release = openstack.get("release") or data.get("release") or default_release(tree_, grains)
    if isinstance(release, str):
        merge(data, (offered(tree_, grains) or {}).get(release) or {})
    merge(data, openstack)
    if release:
        data["release"] = release
    return data


def default_release(tree_, grains):
    """The release a platform runs when ``openstack:release`` is not set: the
    first it offers (None: the platform offers none)."""
    return next(iter(offered(tree_, grains) or {}), None)


# A schema node says what a mapping may hold: {"keys": {name: node}, "free":
# bool, "entry": node}; `free` accepts any name, each entry as `entry` says.
# A node of None accepts anything (a value that is not a mapping, a list).


def _free_forms(text, example, where):
    """{path: levels} of pillar.example's maps of the user's own names."""
    free = {}
    stack = []
    for number, line in enumerate(text.splitlines(), 1):
        match = SCHEMA_KEY.match(line)
        if not match:
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group(2)))
        rest = match.group(3)
        comment = rest[rest.find("#") :] if "#" in rest else ""
        marker = FREE_FORM.match(comment)
        if not marker:
            continue
        path = tuple(key for _, key in stack)
        value = example
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, dict):
            raise SaltInvocationError(
                f"{where}:{number}: '{':'.join(path)}' is marked {marker.group(1)} "
                "but is not a mapping"
            )
        free[path] = marker.group(1).count("<")
    return free


def merge_nodes(one, other):
    """One schema node accepting what either accepts."""
    if one is None or other is None:
        return None
    keys = dict(one["keys"])
    for key, node in other["keys"].items():
        keys[key] = merge_nodes(keys[key], node) if key in keys else node
    if one["free"] and other["free"]:
        entry = merge_nodes(one["entry"], other["entry"])
    else:
        entry = one["entry"] if one["free"] else other["entry"]
    return {"keys": keys, "free": one["free"] or other["free"], "entry": entry}


def _data_node(value):
    """What the tree's own data says a mapping holds: its keys."""
    if not isinstance(value, dict):
        return None
    return {"keys": {str(k): _data_node(v) for k, v in value.items()}, "free": False, "entry": None}


def example_node(value, path, free):
    """What pillar.example says a mapping holds."""
    if not isinstance(value, dict):
        return None
    levels = free.get(path, 0)
    if not levels:
        return {
            "keys": {str(k): example_node(v, (*path, str(k)), free) for k, v in value.items()},
            "free": False,
            "entry": None,
        }
    # The example's entries, `levels` down, show what any entry holds.
    entries = [value]
    for _ in range(levels):
        entries = [v for e in entries if isinstance(e, dict) for v in e.values()]
    inner = (*path, *("*",) * levels)
    nodes = [example_node(entry, inner, free) for entry in entries]
    node = nodes[0] if nodes else None
    for other in nodes[1:]:
        node = merge_nodes(node, other)
    for _ in range(levels):
        node = {"keys": {}, "free": True, "entry": node}
    return node


def schema(tree_):
    """The keys ``openstack:`` may hold: pillar.example's and those of the
    tree's data (defaults, every OS family, every release entry)."""
    node = example_node(tree_["example"].get("openstack") or {}, ("openstack",), tree_["free"])
    data = [tree_["defaults"].get("openstack") or {}, *tree_["osfamilymap"].values()]
    for family in (tree_["releases"].get("platforms") or {}).values():
        for releases in family.values():
            data.extend(entry for entry in releases.values() if entry)
    for value in data:
        node = merge_nodes(node, _data_node(value))
    return node


def check_keys(value, node, path, problems):
    """Every key of ``value`` known to the schema ``node``, recursively."""
    if node is None or not isinstance(value, dict):
        return
    for key, child in value.items():
        here = f"{path}:{key}"
        if node["free"]:
            check_keys(child, node["entry"], here, problems)
        elif str(key) in node["keys"]:
            check_keys(child, node["keys"][str(key)], here, problems)
        else:
            known = sorted(node["keys"])
            close = difflib.get_close_matches(str(key), known, n=1)
            if close:
                what = f"unknown key; did you mean '{close[0]}'?"
            elif len(known) <= 10:
                what = f"unknown key (known here: {', '.join(known) or 'none'})"
            else:
                what = "unknown key (pillar.example lists the keys)"
            problems.append(f"{here}: {what}")
