"""
Rendering the project's state tree as a minion would, without a master:
each case is a masterless minion (``file_client: local``) over the project's
salt/ tree and a copy of its pillar/ tree holding one of the test pillars
(tests/support/pillars.py), with the grains of one OS family.

    minions = Minions(tmp_path_factory)
    caller = minions("guide", "debian12", "controller")
    result = show(caller, "network.nat")          # state.show_sls
    function, args = state_args(result, "network-nat-ip-forward")
    top = show_top(caller)                        # state.show_top
"""

import salt.client
import salt.config
import yaml

from tests.support.paths import SALT
from tests.support.pillars import write_pillar_root

GRAINS = {
    "debian13": {
        "os_family": "Debian",
        "os": "Debian",
        "osfinger": "Debian-13",
        "osmajorrelease": 13,
        "oscodename": "trixie",
    },
    "debian12": {
        "os_family": "Debian",
        "os": "Debian",
        "osfinger": "Debian-12",
        "osmajorrelease": 12,
        "oscodename": "bookworm",
    },
    "centos9": {
        "os_family": "RedHat",
        "os": "CentOS Stream",
        "osfinger": "CentOS Stream-9",
        "osmajorrelease": 9,
        "oscodename": "",
    },
}
PILLARS = ["guide", "three_hosts", "twelve_computes"]
# A family the tree does not know, to see it refused.
ALL_GRAINS = dict(GRAINS, solaris={"os_family": "Solaris", "os": "Solaris"})


def all_sls():
    """Every SLS of the tree, except the top file and the orchestration
    (rendered on the master: see the integration tests)."""
    names = []
    for path in sorted(SALT.rglob("*.sls")):
        rel = path.relative_to(SALT)
        if rel.parts[0] in ("openstack",) or rel.parts[0].startswith("_") or rel.name == "top.sls":
            continue
        names.append(sls_name(rel))
    return names


def sls_name(rel):
    """``common/hosts.sls`` -> ``common.hosts``; ``nova/init.sls`` -> ``nova``."""
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "init":
        parts.pop()
    return ".".join(parts)


class Minions:
    """``Minions(tmp_path_factory, salt_root=SALT)(pillar, family, id,
    container=False, local=None, grains=None)`` -> a ``salt.client.Caller``;
    ``local`` is pillar data written as the pillar's local.sls (it wins over
    the rest); ``grains`` are added to the family's.

    A new Caller each time: Salt's loader binds module globals (grains,
    pillar) to the newest minion of the process, so two live Callers would
    see each other's data. The minion's files are made once per case."""

    def __init__(self, tmp_path_factory, salt_root=SALT):
        self.tmp_path_factory = tmp_path_factory
        self.salt_root = salt_root
        self.roots = {}

    def __call__(self, pillar, family, minion_id, container=False, local=None, grains=None):  # noqa: PLR0917
        extra = yaml.safe_dump({"local": local, "grains": grains}) if local or grains else ""
        key = (pillar, family, minion_id, container, extra)
        if key not in self.roots:
            root = self.tmp_path_factory.mktemp("-".join(map(str, key[:4])))
            write_pillar_root(root / "pillar", pillar, tls=True)
            if local:
                (root / "pillar" / "local.sls").write_text(yaml.safe_dump(local))
            grains = dict(ALL_GRAINS[family], **(grains or {}), id=minion_id)
            grains["virtual"] = "container" if container else "physical"
            (root / "minion").write_text(
                yaml.safe_dump(
                    {
                        "id": minion_id,
                        "root_dir": str(root),
                        "file_client": "local",
                        "file_roots": {"base": [str(self.salt_root)]},
                        "pillar_roots": {"base": [str(root / "pillar")]},
                        "grains": grains,
                    }
                )
            )
            self.roots[key] = root / "minion"
        return salt.client.Caller(mopts=salt.config.minion_config(str(self.roots[key])))


def show(caller, sls):
    """``state.show_sls`` of one SLS; fails the test if it does not render."""
    result = caller.cmd("state.show_sls", sls)
    assert isinstance(result, dict), f"{sls} does not render: {result}"
    return result


def show_all(caller):
    """Every SLS of ``all_sls()`` rendered together: {state id: state}; each
    state's ``__sls__`` names the SLS file that defines it."""
    return show(caller, ",".join(all_sls()))


def show_top(caller):
    """``state.show_top``: the SLS highstate gives this minion, per saltenv."""
    return caller.cmd("state.show_top")


def state_args(result, state_id):
    """The arguments of one state of a show_sls result, as a flat dict, and
    its function (e.g. 'host.only')."""
    body = result[state_id]
    for module, items in body.items():
        if module.startswith("__"):
            continue
        args, function = {}, None
        for item in items:
            if isinstance(item, str):
                function = f"{module}.{item}"
            else:
                args.update(item)
        args.pop("order", None)
        return function, args
    raise AssertionError(f"no state function in {state_id}")
