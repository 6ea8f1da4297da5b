"""
The lab: the guide's hosts as privileged LXC containers on this machine.

Every host of the pillar host map (``openstack:hosts``) becomes a Debian
system container (``lab:suite``: trixie or bookworm; systemd inside,
salt-minion of the master's version), wired like the guide inside a network
namespace of its own: a LAN bridge every host sits on, a public bridge only
the gateway's public NIC reaches, a provider bridge (no address: the
instances' network) the hosts' provider NICs are on, and one veth uplink to
this machine, which masquerades it upstream. The project's
salt-master runs on this machine from ``.venv/``; the minions reach it through
the namespace's LAN address, which forwards tcp 4505/4506 and nothing else.
The wiring parameters are in ``pillar/lab.sls``; ``lab/README.md`` draws them.

Everything ``up`` makes is found again by name by ``down``: containers, mounts
and loop devices under ``.run/lab/``, the namespace, the uplink, the NAT rule,
the daemons' pid files. So ``up`` twice is harmless and a failed ``up`` is
cleaned by ``down``.

This file is the entry point; the work is done by the package ``_runners/_lab``
(``network``, ``daemons``, ``containers``; ``settings`` and ``system`` under
them), which the loader's path makes importable as ``_lab``.

CLI Example:

.. code-block:: bash

    salt-run lab.up
    salt-run lab.status
    salt-run lab.down
    salt-run lab.down purge=True
"""

import json
import logging
import os
import shutil
import time

from _lab import containers, daemons, network, settings, system, usage

try:
    # the merge of the state tree's data (the runners' directory is on
    # sys.path while the loader imports this; the tests import by path)
    from _openstack import data as tree_data
except ImportError:
    from _runners._openstack import data as tree_data
from salt.exceptions import CommandExecutionError, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "lab"


def __virtual__():
    return __virtualname__


def up(wait=60, suite=None):
    """
    Bring the lab up: install this machine's tools if missing, build (once) the
    rootfs of the lab's Debian suite, wire the network namespace, start
    apt-cacher-ng and the project's salt-master, start one container per host
    of the host map and wait until every minion answers test.ping. Running it
    again is harmless.

    wait
        seconds to wait for the minions (0: do not wait). Default 60.

    suite
        the hosts' Debian suite: ``trixie`` or ``bookworm``. Default: the
        running lab's, else pillar ``lab:suite``. A running lab keeps its
        suite (``lab.down`` first to change it).

    CLI Example:

    .. code-block:: bash

        salt-run lab.up
        salt-run lab.up wait=0
        salt-run lab.up suite=bookworm
    """
    system.require_root()
    started = time.time()
    timings = {}
    where = settings.paths(__opts__)
    running = settings.saved(__opts__, where)["suite"] if os.path.exists(where["state"]) else None
    if suite and running and suite != running:
        raise CommandExecutionError(
            "suite=%s: the lab is up with %s; `salt-run lab.down` first" % (suite, running)
        )
    installed = system.ensure_host_packages()
    cfg = settings.settings(__opts__, suite=suite or running)
    for directory in (where["lab"], where["lxcpath"], os.path.join(where["lab"], "hosts")):
        os.makedirs(directory, exist_ok=True)
    # Saved first: whatever follows, `down` knows what to look for.
    with open(where["state"], "w", encoding="utf-8") as fh_:
        json.dump(cfg, fh_, indent=1)

    step = time.time()
    log.info("lab: %s", containers.build_rootfs(cfg))
    timings["rootfs"] = round(time.time() - step, 1)

    step = time.time()
    containers.build_guest(cfg)
    timings["guest image"] = round(time.time() - step, 1)

    step = time.time()
    network.up(cfg, where)
    daemons.apt_proxy_up(cfg, where)
    master_pub = daemons.master_pub(__opts__)
    changed = daemons.write_lab_conf(cfg, where)
    daemons.master_up(where, restart=changed)
    timings["network+daemons"] = round(time.time() - step, 1)

    step = time.time()
    started_now = [
        name for name in sorted(cfg["machines"]) if containers.up(cfg, where, name, master_pub)
    ]
    timings["containers"] = round(time.time() - step, 1)

    step = time.time()
    names = sorted(cfg["machines"])
    answered = containers.ping(names, int(wait), where["conf_dir"]) if int(wait) else []
    timings["minions"] = round(time.time() - step, 1)
    result = {
        "suite": cfg["suite"],
        "installed": installed,
        "started": started_now,
        "answered test.ping": answered,
        "seconds": timings,
        "total seconds": round(time.time() - started, 1),
    }
    if int(wait) and len(answered) != len(cfg["machines"]):
        missing = sorted(set(cfg["machines"]) - set(answered))
        raise CommandExecutionError(
            "lab is up but %s did not answer test.ping within %ss; look at "
            "`salt-run lab.status` and journalctl -u salt-minion in the container "
            "(%s)" % (", ".join(missing), wait, json.dumps(result))
        )
    return result


def down(purge=False):
    """
    Remove everything ``up`` made: containers, their rootfs overlays, brick
    mounts, loop devices and image files, the network namespace (bridges,
    uplink), this machine's NAT rule, the salt-master and apt-cacher-ng
    daemons, the lab minions' keys, ``.run/conf.d/lab.conf``; restore
    ``net.ipv4.ip_forward``. The cached rootfs and package cache stay.

    purge
        also delete the cache directory (rootfs, wheels, apt-cacher-ng's
        packages). Default False.

    CLI Example:

    .. code-block:: bash

        salt-run lab.down
        salt-run lab.down purge=True
    """
    system.require_root()
    started = time.time()
    where = settings.paths(__opts__)
    cfg = settings.saved(__opts__, where)
    # In this order: containers first, then what they used. This very salt-run
    # reports its return to the master's event bus after this function
    # returns, so the master is stopped by a detached helper once it has exited.
    done = containers.down(cfg, where)
    done += daemons.down(where)
    done += containers.release(where)
    done += network.down(cfg, where)
    containers.forget_keys(cfg, where)
    done += daemons.remove_lab_conf(where)
    if os.path.isdir(where["lab"]):
        leftovers = containers.mounts_under(where["lab"])
        if leftovers:
            raise CommandExecutionError("still mounted: %s" % leftovers)
        shutil.rmtree(where["lab"])
    if purge and os.path.isdir(cfg["cache_dir"]):
        shutil.rmtree(cfg["cache_dir"])
        done.append("purged " + cfg["cache_dir"])
    return {"done": done, "seconds": round(time.time() - started, 1)}


def status():
    """
    What of the lab exists now: its suite, the namespace, its bridges, the
    uplink, NAT rule, daemons, containers (state and addresses), brick mounts.

    CLI Example:

    .. code-block:: bash

        salt-run lab.status
    """
    where = settings.paths(__opts__)
    cfg = settings.saved(__opts__, where)
    ret = {"suite": cfg["suite"]}
    ret.update(network.status(cfg))
    ret.update(daemons.status(where))
    ret["containers"] = containers.status(cfg, where)
    ret["loop devices"] = containers.loops_for(where["lab"])
    return ret


def cpu(since=None, wall=None):
    """
    CPU seconds of each lab host, from its container's cgroup. Without
    ``since``: the seconds used since each container started, also saved in
    ``.run/lab/cpu.json``. With ``since=saved``: what each host used since
    that save, the total, and wall / (CPU seconds / this machine's cores),
    with ``wall`` the seconds since the save unless given (`make lab`
    prints it for the orchestration and the verification together).

    CLI Example:

    .. code-block:: bash

        salt-run lab.cpu
        salt-run lab.cpu since=saved
    """
    where = settings.paths(__opts__)
    cfg = settings.saved(__opts__, where)
    path = os.path.join(where["lab"], "cpu.json")
    now = usage.snapshot(cfg["machines"])
    if since is None:
        usage.save(path, now)
        return now
    if since != "saved":
        raise CommandExecutionError("since: only 'saved' (the last `salt-run lab.cpu`)")
    if wall is None:
        wall = time.time() - os.path.getmtime(path) if os.path.exists(path) else 0
    return usage.report(usage.load(path), now, round(float(wall), 1), os.cpu_count() or 1)


def _cli_files(cfg):
    """
    For this machine's ``openstack`` client (issue 13: the cloud's public
    endpoints over TLS): the project CA's certificate and an openrc that
    uses it, both in the lab's directory (``.run/lab``, git ignores it),
    the openrc 0600 (it holds the admin's password, from the controller's
    pillar). Their paths, or None (and why) when the pillar has no secrets
    yet.
    """
    hosts = (settings.lab_pillar(__opts__).get("openstack") or {}).get("hosts") or {}
    controller = next(
        (name for name, host in sorted(hosts.items()) if "controller" in host.get("roles", [])),
        None,
    )
    if controller is None:
        return None, "the host map has no controller"
    pillar = settings.lab_pillar(__opts__, controller).get("openstack") or {}
    ca_pem = (pillar.get("tls") or {}).get("ca_cert")
    password = (pillar.get("secrets") or {}).get("admin_password")
    if not ca_pem or not password:
        return None, "the pillar has no CA or admin password yet (the orchestration makes them)"
    lab_dir = settings.paths(__opts__)["lab"]
    ca_path = os.path.join(lab_dir, "openstack-ca.crt")
    openrc = os.path.join(lab_dir, "admin-openrc")
    roots = (__opts__.get("file_roots") or {}).get("base") or []
    salt_dir = next((r for r in roots if os.path.isfile(os.path.join(r, "map.jinja"))), None)
    if salt_dir:  # the catalog is the tree's (salt/defaults.yaml), the pillar may change it
        pillar = tree_data.effective(tree_data.tree(salt_dir), pillar)
    keystone = (pillar.get("catalog") or {}).get("keystone") or {"port": 5000, "path": "/v3"}
    admin = pillar.get("admin") or {}
    lines = {
        "OS_AUTH_URL": f"https://{cfg['public_ip']}:{keystone['port']}{keystone.get('path', '')}",
        "OS_CACERT": ca_path,
        "OS_IDENTITY_API_VERSION": "3",
        "OS_USERNAME": admin.get("username", "admin"),
        "OS_PASSWORD": password,
        "OS_PROJECT_NAME": admin.get("project", "admin"),
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_REGION_NAME": pillar.get("region", "RegionOne"),
        "OS_INTERFACE": "public",
    }
    with open(ca_path, "w", encoding="utf-8") as fh_:
        fh_.write(ca_pem)
    fd = os.open(openrc, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh_:
        fh_.write("# Written by `salt-run lab.access`: the lab cloud's admin, from this machine.\n")
        fh_.writelines(f"export {name}='{value}'\n" for name, value in lines.items())
    return openrc, ca_path


def access():
    """
    How to reach the lab and the cloud in it, as lines of text (`make lab`
    prints them). Writes the project CA's certificate and an openrc for
    this machine's ``openstack`` client into the lab's directory.

    CLI Example:

    .. code-block:: bash

        salt-run --out=newline_values_only lab.access
    """
    cfg = settings.saved(__opts__, settings.paths(__opts__))
    try:
        openrc, ca_path = _cli_files(cfg)
    except (KeyError, OSError, SaltInvocationError) as exc:  # the pillar cannot be read here
        openrc, ca_path = None, f"the pillar could not be read ({exc!r})"
    if openrc:
        cli = [
            f"The CLI here:       `. {openrc}` then `openstack server list`: the public",
            f"                    endpoints over TLS, trusting the project CA ({ca_path};",
            "                    `salt-run openstack.ca` prints it). The client: Debian's",
            "                    python3-openstackclient, or `pip install python-openstackclient`",
        ]
    else:
        cli = [f"The CLI here:       not yet: {ca_path}"]
    return "\n".join(
        [
            "The lab's hosts: {} (`salt '*' test.ping` from the checkout).".format(
                ", ".join(sorted(cfg["machines"]))
            ),
            "A shell on a host:  {} controller".format(system.lab_script("attach.sh")),
            "The cloud's admin:  on the controller, `. /root/admin-openrc` then"
            " `openstack server list` (the file is 0600, root's)",
            "The dashboard:      https://{}/ from this machine (routed through network "
            "namespace {}; its certificate is the project CA's)".format(
                cfg["public_ip"], cfg["netns"]
            ),
            "                    user: openstack:admin:username (admin), domain Default; password: "
            "`grep admin_password pillar/secrets/generated.sls` (pillar/local.sls wins)",
            *cli,
            "Check the cloud:    .venv/bin/salt-run --state-output=full "
            "state.orchestrate openstack.verify",
            "Audit it:           .venv/bin/salt-run --state-output=full "
            "state.orchestrate openstack.audit",
            "Bring it down:      make lab-down",
        ]
    )
