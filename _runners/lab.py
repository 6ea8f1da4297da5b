"""
The lab: the guide's hosts as privileged LXC containers on this machine.

Every host of the pillar host map (``openstack:hosts``) becomes a Debian 12
system container (systemd inside, salt-minion of the master's version), wired
like the guide inside a network namespace of its own: a LAN bridge every host
sits on, a public bridge only the gateway's second NIC reaches, and one veth
uplink to this machine, which masquerades it upstream. The project's
salt-master runs on this machine from ``.venv/``; the minions reach it through
the namespace's LAN address, which forwards tcp 4505/4506 and nothing else.
The wiring parameters are in ``pillar/lab.sls``; ``lab/README.md`` draws them.

Everything ``up`` makes is found again by name by ``down``: containers, mounts
and loop devices under ``.run/lab/``, the namespace, the uplink, the NAT rule,
the daemons' pid files. So ``up`` twice is harmless and a failed ``up`` is
cleaned by ``down``.

CLI Example:

.. code-block:: bash

    salt-run lab.up
    salt-run lab.status
    salt-run lab.down
    salt-run lab.down purge=True
"""

import hashlib
import ipaddress
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import salt.crypt
import salt.pillar
import salt.utils.yaml
from salt.exceptions import CommandExecutionError, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "lab"

# Tools the lab needs on this machine, and the Debian package of each.
HOST_TOOLS = {
    "lxc-start": "lxc",
    "mmdebstrap": "mmdebstrap",
    "mkfs.xfs": "xfsprogs",
    "apt-cacher-ng": "apt-cacher-ng",
    "iptables": "iptables",
    "ssh-keygen": "openssh-client",
    "nsenter": "util-linux",
    "losetup": "mount",
    "ip": "iproute2",
}
# The comment that marks the one rule the lab adds to this machine's firewall.
RULE_COMMENT = "openstack-salt-lab"


def __virtual__():
    return __virtualname__


# --------------------------------------------------------------------------
# helpers


def _run(cmd, check=True, netns=None, **kwargs):
    """Run a command (a list); raise CommandExecutionError with its stderr."""
    if netns:
        cmd = ["nsenter", "--net=/run/netns/" + netns] + list(cmd)
    log.debug("lab: %s", " ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise CommandExecutionError(
            "`{}` failed ({}): {}".format(
                " ".join(cmd), proc.returncode, (proc.stderr or proc.stdout).strip()
            )
        )
    return proc


def _ok(cmd, netns=None):
    return _run(cmd, check=False, netns=netns).returncode == 0


def _project():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _paths():
    root = __opts__["root_dir"]
    lab = os.path.join(root, "lab")
    return {
        "root": root,
        "lab": lab,
        "lxcpath": os.path.join(lab, "lxc"),
        "state": os.path.join(lab, "state.json"),
        "lab_conf": os.path.join(root, "conf.d", "lab.conf"),
        "pki": os.path.join(__opts__["pki_dir"]),
        "master_pid": os.path.join(root, "var", "run", "salt-master.pid"),
        "acng_pid": os.path.join(lab, "apt-cacher-ng", "pid"),
    }


def _lab_pillar():
    """The pillar a lab host sees (compiled as a lab master would)."""
    opts = dict(__opts__)
    opts["openstack_lab"] = True
    base = salt.pillar.get_pillar(
        opts, {"id": opts["id"]}, opts["id"], saltenv="base", pillarenv="base"
    ).compile_pillar()
    errors = base.pop("_errors", None)
    if errors:
        raise SaltInvocationError("pillar does not render: " + "; ".join(errors))
    if "lab" not in base:
        raise SaltInvocationError(
            "pillar has no `lab:` key: pillar/top.sls must include `lab` when "
            "opts.openstack_lab is set (see pillar/lab.sls)"
        )
    return base


def _settings():
    """Everything the lab needs, derived from pillar and checked."""
    pillar = _lab_pillar()
    lab = pillar["lab"]
    ops = pillar.get("openstack") or {}
    hosts = ops.get("hosts") or {}
    if not hosts:
        raise SaltInvocationError("pillar openstack:hosts is empty")
    lan = ipaddress.ip_network(ops["network"]["lan_cidr"])
    public = ipaddress.ip_network(lab["public_cidr"])
    uplink = ipaddress.ip_network(lab["uplink"]["cidr"])
    up_hosts = list(uplink.hosts())
    pub_hosts = list(public.hosts())
    problems = []
    gateways = [n for n, h in hosts.items() if "gateway" in (h.get("roles") or [])]
    if len(gateways) != 1:
        problems.append("exactly one host needs the gateway role, found %s" % gateways)
    master_ip = ipaddress.ip_address(lab["lan_master_ip"])
    if master_ip not in lan:
        problems.append("lab:lan_master_ip %s is not in %s" % (master_ip, lan))
    if uplink.overlaps(lan) or uplink.overlaps(public) or lan.overlaps(public):
        problems.append("lan, public and uplink networks must not overlap")
    for what, addr in _upstream_addresses(lab["mirror"]):
        for net_name, net in (("lan", lan), ("lab:public_cidr", public), ("lab:uplink", uplink)):
            if addr in net:
                problems.append(
                    f"{what} {addr} is inside {net_name} {net}: the lab could not reach it; pick "
                    "another network in pillar/lab.sls"
                )
    public_ip = ipaddress.ip_address(ops["public_ip"])
    if public_ip not in public:
        problems.append("openstack:public_ip %s is not in lab:public_cidr %s" % (public_ip, public))
    gw_ip = hosts[gateways[0]]["ip"] if len(gateways) == 1 else None
    machines = {}
    for name, host in sorted(hosts.items()):
        ifs = host.get("interfaces") or {}
        if "lan" not in ifs:
            problems.append("%s has no interfaces:lan" % name)
            continue
        if ipaddress.ip_address(host["ip"]) not in lan:
            problems.append("%s: %s is not in %s" % (name, host["ip"], lan))
        if ipaddress.ip_address(host["ip"]) == master_ip:
            problems.append("%s uses lab:lan_master_ip %s" % (name, master_ip))
        nics = [
            {
                "name": ifs["lan"],
                "bridge": lab["lan_bridge"],
                "address": "%s/%d" % (host["ip"], lan.prefixlen),
                "gateway": None,
            }
        ]
        roles = host.get("roles") or []
        if "gateway" in roles:
            if "public" not in ifs:
                problems.append("gateway %s has no interfaces:public" % name)
                continue
            nics.insert(
                0,
                {
                    "name": ifs["public"],
                    "bridge": lab["public_bridge"],
                    "address": "%s/%d" % (public_ip, public.prefixlen),
                    "gateway": str(pub_hosts[0]),
                },
            )
        elif gw_ip:
            # The guide: LAN-only hosts send everything through the gateway.
            nics[0]["gateway"] = gw_ip
        machines[name] = {
            "ip": host["ip"],
            "roles": roles,
            "nics": nics,
            "brick": "compute" in roles,
        }
    if problems:
        raise SaltInvocationError("lab pillar: " + "; ".join(problems))
    return {
        "netns": lab["netns"],
        "lan_bridge": lab["lan_bridge"],
        "public_bridge": lab["public_bridge"],
        "lan_cidr": str(lan),
        "lan_master_ip": str(master_ip),
        "lan_master_cidr": "%s/%d" % (master_ip, lan.prefixlen),
        "public_cidr": str(public),
        "public_router": "%s/%d" % (pub_hosts[0], public.prefixlen),
        "public_ip": str(public_ip),
        "uplink_host_if": lab["uplink"]["host_if"],
        "uplink_netns_if": lab["uplink"]["netns_if"],
        "uplink_host_ip": str(up_hosts[0]),
        "uplink_netns_ip": str(up_hosts[1]),
        "uplink_prefix": uplink.prefixlen,
        "master_ports": [int(p) for p in lab["master_ports"]],
        "apt_proxy_port": int(lab["apt_proxy_port"]),
        "cache_dir": lab["cache_dir"],
        "mirror": lab["mirror"],
        "brick_size": str(lab["brick_size"]),
        "brick_path": ops["storage"]["brick_path"],
        "devices": list(lab.get("devices") or []),
        "gateway": gateways[0],
        "machines": machines,
    }


def _upstream_addresses(mirror):
    """This machine's resolvers and the mirror's addresses: the lab must reach them."""
    found = []
    try:
        with open("/etc/resolv.conf", encoding="utf-8") as fh_:
            for line in fh_:
                parts = line.split()
                if len(parts) > 1 and parts[0] == "nameserver":
                    found.append(("nameserver", ipaddress.ip_address(parts[1])))
    except (OSError, ValueError):
        pass
    host = mirror.split("//", 1)[-1].split("/", 1)[0].split(":")[0]
    try:
        for info in socket.getaddrinfo(host, 80, socket.AF_INET, socket.SOCK_STREAM):
            found.append(("mirror " + host, ipaddress.ip_address(info[4][0])))
    except OSError:
        pass
    return found


def _saved_settings():
    """The settings of the running lab (as `up` saved them), else pillar's."""
    path = _paths()["state"]
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh_:
            return json.load(fh_)
    return _settings()


def _require_root():
    if os.geteuid() != 0:
        raise CommandExecutionError(
            "the lab makes namespaces, bridges, loop devices and containers: run as root"
        )


def _ensure_host_packages():
    """apt-get install what the lab needs, without starting any service."""
    missing = sorted({pkg for tool, pkg in HOST_TOOLS.items() if not shutil.which(tool)})
    if not missing:
        return []
    policy = "/usr/sbin/policy-rc.d"
    ours = not os.path.exists(policy)
    if ours:
        # Debian's lxc would start lxcbr0 and apt-cacher-ng a system-wide
        # daemon: the lab runs its own, and touches no host network.
        with open(policy, "w", encoding="utf-8") as fh_:
            fh_.write("#!/bin/sh\n# written by salt-run lab.up for one apt-get\nexit 101\n")
        os.chmod(policy, 0o755)
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        _run(["apt-get", "update", "-q"], env=env)
        _run(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing, env=env)
    finally:
        if ours:
            os.unlink(policy)
    if "lxc" in missing and not os.path.exists("/etc/default/lxc-net"):
        with open("/etc/default/lxc-net", "w", encoding="utf-8") as fh_:
            fh_.write(
                "# written by salt-run lab.up: the lab brings its own bridges\n"
                'USE_LXC_BRIDGE="false"\n'
            )
    return missing


def _pid_alive(pidfile):
    try:
        with open(pidfile, encoding="utf-8") as fh_:
            pid = int(fh_.read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except OSError:
        return False
    return True


def _stop_pid(pidfile, timeout=15):
    """Stop a daemon and every process of its session (salt-master's workers
    outlive its main process; one of them removed the next master's pidfile
    on its way out)."""
    pid = _pid_alive(pidfile)
    if not pid:
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        return False
    try:
        pgid = os.getpgid(pid)
    except OSError:
        pgid = None
    if pgid == os.getpgid(0):
        pgid = None  # never signal our own group

    if pgid is not None:
        _stop_group(pgid, timeout)
    else:
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + timeout
        while time.time() < deadline and _process_alive(pid):
            time.sleep(0.2)
        if _process_alive(pid):
            os.kill(pid, signal.SIGKILL)
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    return True


def _stop_group(pgid, timeout=15):
    """TERM a process group, and KILL it if it outlives ``timeout`` s."""
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.time() + timeout
    while time.time() < deadline and _group_alive(pgid):
        time.sleep(0.2)
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGKILL)


# The helper: wait for the parent (salt-run) to exit, then TERM the master.
_STOP_AFTER = """
import os, signal, sys, time
parent, pidfile = int(sys.argv[1]), sys.argv[2]
deadline = time.time() + 120
while time.time() < deadline:
    try:
        os.kill(parent, 0)
    except OSError:
        break
    time.sleep(0.2)
try:
    try:
        pid = int(open(pidfile).read().strip())
        group = os.getpgid(pid)
        os.killpg(group, signal.SIGTERM)
    except (OSError, ValueError):
        sys.exit(0)
    for _ in range(150):
        try:
            os.killpg(group, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.killpg(group, signal.SIGKILL)
    try:
        # only the stopped master's pid file: a new master may have started
        if int(open(pidfile).read().strip()) == pid:
            os.unlink(pidfile)
    except (OSError, ValueError):
        pass
finally:
    try:
        os.unlink(pidfile + ".stopping")
    except OSError:
        pass
"""


def _stop_master_after_exit(pidfile):
    # lab.up waits while this marker exists (the master is being stopped)
    _write(pidfile + ".stopping", str(os.getpid()))
    subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-c", _STOP_AFTER, str(os.getpid()), pidfile],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )


def _mac(name, ifname):
    digest = hashlib.sha256(("%s/%s" % (name, ifname)).encode()).digest()
    return "02:5a:" + ":".join("%02x" % b for b in digest[:4])


def _vethname(name, ifname):
    return ("%s-%s" % (name[:9], ifname))[:15]


def _mounts_under(path):
    """Mount points at or under path, deepest first."""
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as fh_:
        for line in fh_:
            point = line.split()[4].replace("\\040", " ")
            if point == path or point.startswith(path.rstrip("/") + "/"):
                found.append(point)
    return sorted(set(found), key=len, reverse=True)


def _loops_for(directory):
    """Loop devices whose backing file lives under directory."""
    out = _run(["losetup", "--list", "--json", "--output", "NAME,BACK-FILE"], check=False)
    devices = []
    if out.returncode == 0 and out.stdout.strip():
        for dev in json.loads(out.stdout).get("loopdevices", []):
            back = (dev.get("back-file") or "").replace(" (deleted)", "")
            if back.startswith(directory.rstrip("/") + "/"):
                devices.append(dev["name"])
    return devices


# --------------------------------------------------------------------------
# network


def _network_up(cfg):
    ns = cfg["netns"]
    if not os.path.exists("/run/netns/" + ns):
        _run(["ip", "netns", "add", ns])
    nsrun = lambda *cmd: _run(list(cmd), netns=ns)  # noqa: E731
    nsrun("ip", "link", "set", "lo", "up")
    # Bridges: the guide's LAN, and the public network.
    for bridge, addr in (
        (cfg["lan_bridge"], cfg["lan_master_cidr"]),
        (cfg["public_bridge"], cfg["public_router"]),
    ):
        if not _ok(["ip", "link", "show", bridge], netns=ns):
            nsrun("ip", "link", "add", bridge, "type", "bridge")
        nsrun("ip", "addr", "replace", addr, "dev", bridge)
        nsrun("ip", "link", "set", bridge, "up")
    # The uplink: one veth pair, this machine <-> the namespace.
    host_if, ns_if = cfg["uplink_host_if"], cfg["uplink_netns_if"]
    if not _ok(["ip", "link", "show", host_if]):
        _run(["ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if, "netns", ns])
    _run(
        [
            "ip",
            "addr",
            "replace",
            "%s/%d" % (cfg["uplink_host_ip"], cfg["uplink_prefix"]),
            "dev",
            host_if,
        ]
    )
    _run(["ip", "link", "set", host_if, "up"])
    nsrun(
        "ip",
        "addr",
        "replace",
        "%s/%d" % (cfg["uplink_netns_ip"], cfg["uplink_prefix"]),
        "dev",
        ns_if,
    )
    nsrun("ip", "link", "set", ns_if, "up")
    nsrun("ip", "route", "replace", "default", "via", cfg["uplink_host_ip"])
    # This machine reaches the public network (the dashboard, the noVNC
    # proxy) through the namespace, as the Internet reaches a gateway. The
    # route goes with the uplink when lab.down deletes it.
    _run(["ip", "route", "replace", cfg["public_cidr"], "via", cfg["uplink_netns_ip"]])
    # The namespace routes; bridged traffic between lab hosts stays off its
    # iptables (br_netfilter's switch is per namespace).
    nsrun("sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
    if os.path.exists("/proc/sys/net/bridge"):
        for key in ("iptables", "ip6tables", "arptables"):
            _run(
                ["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-%s=0" % key],
                netns=ns,
                check=False,
            )
    _netns_firewall(cfg)
    _host_nat(cfg)


def _netns_firewall(cfg):
    """The namespace's rules, rewritten whole (it is the lab's own namespace)."""
    ports = ",".join(str(p) for p in cfg["master_ports"])
    lan, pub, up = cfg["lan_bridge"], cfg["public_bridge"], cfg["uplink_netns_if"]
    rules = "\n".join(
        [
            "*nat",
            ":PREROUTING ACCEPT [0:0]",
            ":INPUT ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            ":POSTROUTING ACCEPT [0:0]",
            # LAN hosts reach the salt-master (and only it) at lan_master_ip.
            "-A PREROUTING -i %s -d %s -p tcp -m multiport --dports %s "
            "-j DNAT --to-destination %s"
            % (lan, cfg["lan_master_ip"], ports, cfg["uplink_host_ip"]),
            "-A POSTROUTING -o %s -j MASQUERADE" % up,
            "COMMIT",
            "*filter",
            ":INPUT DROP [0:0]",
            ":FORWARD DROP [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            "-A INPUT -i lo -j ACCEPT",
            "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            "-A INPUT -p icmp -j ACCEPT",
            "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            # The master's ports, DNATed above: the LAN's only way through.
            "-A FORWARD -i %s -o %s -p tcp -m multiport --dports %s "
            "-m conntrack --ctstate DNAT -j ACCEPT" % (lan, up, ports),
            # The public network goes upstream, but only from its own addresses:
            # a LAN host's packet gets out only once the gateway NATs it.
            "-A FORWARD -i %s -o %s -s %s -j ACCEPT" % (pub, up, cfg["public_cidr"]),
            # This machine (and only it) reaches the public network.
            "-A FORWARD -i %s -o %s -s %s/32 -j ACCEPT" % (up, pub, cfg["uplink_host_ip"]),
            "COMMIT",
            "",
        ]
    )
    _run(["iptables-restore"], netns=cfg["netns"], input=rules)


def _host_rule(cfg):
    return [
        "-s",
        "%s/32" % cfg["uplink_netns_ip"],
        "-m",
        "comment",
        "--comment",
        RULE_COMMENT,
        "-j",
        "MASQUERADE",
    ]


def _host_nat(cfg):
    """This machine: forward and masquerade the uplink (one rule)."""
    saved = os.path.join(_paths()["lab"], "ip_forward.orig")
    if not os.path.exists(saved):
        with open("/proc/sys/net/ipv4/ip_forward", encoding="utf-8") as fh_:
            old = fh_.read().strip()
        with open(saved, "w", encoding="utf-8") as fh_:
            fh_.write(old + "\n")
    with open("/proc/sys/net/ipv4/ip_forward", "w", encoding="utf-8") as fh_:
        fh_.write("1\n")
    rule = _host_rule(cfg)
    if not _ok(["iptables", "-t", "nat", "-C", "POSTROUTING"] + rule):
        _run(["iptables", "-t", "nat", "-A", "POSTROUTING"] + rule)


# --------------------------------------------------------------------------
# daemons


def _apt_proxy_up(cfg):
    paths = _paths()
    if _pid_alive(paths["acng_pid"]):
        return False
    base = os.path.dirname(paths["acng_pid"])
    cache = os.path.join(cfg["cache_dir"], "apt-cacher-ng")
    for directory in (base, os.path.join(base, "log"), cache):
        os.makedirs(directory, exist_ok=True)
    # Its own configuration, without the package's mirror remapping (which
    # sends requests to mirrors this machine may not reach): a plain caching
    # proxy for whatever archive the hosts' sources.list names.
    confdir = os.path.join(base, "conf")
    _write(
        os.path.join(confdir, "acng.conf"),
        "\n".join(
            [
                "# Written by salt-run lab.up",
                "CacheDir: " + cache,
                "LogDir: " + os.path.join(base, "log"),
                "PidFile: " + paths["acng_pid"],
                "SocketPath: " + os.path.join(base, "socket"),
                "BindAddress: " + cfg["uplink_host_ip"],
                "Port: {}".format(cfg["apt_proxy_port"]),
                "ExThreshold: 28",
                "PassThroughPattern: .*:443$",
                "",
            ]
        ),
    )
    _run(["apt-cacher-ng", "-c", confdir, "ForeGround=0"])
    for _ in range(50):
        if _pid_alive(paths["acng_pid"]):
            return True
        time.sleep(0.1)
    raise CommandExecutionError("apt-cacher-ng did not start; see %s/log" % base)


def _write_lab_conf(cfg):
    """The master settings of a lab master; True when they changed."""
    path = _paths()["lab_conf"]
    text = (
        "# Written by `salt-run lab.up`, removed by `salt-run lab.down`.\n"
        "# pillar/top.sls gives pillar/lab.sls to the minions of a lab master.\n"
        "openstack_lab: true\n"
        "# The minions reach the master through the lab's uplink only.\n"
        "interface: %s\n"
        "# The test guest image, for Glance: salt://testguest.img\n"
        "file_roots:\n  base:\n    - %s\n" % (cfg["uplink_host_ip"], _guest_dir(cfg))
    )
    old = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh_:
            old = fh_.read()
    if old == text:
        return False
    with open(path, "w", encoding="utf-8") as fh_:
        fh_.write(text)
    return True


def _guest_dir(cfg):
    return os.path.join(cfg["cache_dir"], "guest")


def _confdir():
    return os.path.dirname(os.path.abspath(__opts__["conf_file"]))


def _salt_bin(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def _master_pub():
    """The master's public key, created (as the master itself would) if need be."""
    return salt.crypt.MasterKeys(__opts__).get_pub_str()


def _orphan_master_groups():
    """Process groups of salt-masters of this checkout that have no pid file
    (one that lost it to an earlier master's exit): they hold the ports."""
    conf, groups = _confdir(), set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh_:
                # NUL-separated, or one line once the process set its title
                args = fh_.read().decode(errors="replace").replace("\0", " ").split()
            if any(a.endswith("/salt-master") for a in args) and conf in args:
                groups.add(os.getpgid(int(entry)))
        except OSError:
            continue
    groups.discard(os.getpgid(0))
    return groups


def _master_up(restart):
    paths = _paths()
    # A `lab.down` just before stops its master only once it has exited:
    # wait for that, or the stopping master is taken for a running one.
    stopping = paths["master_pid"] + ".stopping"
    for _ in range(300):
        if not os.path.exists(stopping) or time.time() - os.path.getmtime(stopping) > 180:
            break
        time.sleep(0.1)
    if _pid_alive(paths["master_pid"]):
        if not restart:
            return False
        _stop_pid(paths["master_pid"])
    for group in _orphan_master_groups():
        log.warning("stopping salt-master process group %s: it has no pid file", group)
        _stop_group(group)
    _run([_salt_bin("salt-master"), "-c", _confdir(), "-d"], cwd=_project())
    # It writes its pid file once its processes are up: seconds on an idle
    # machine, more than 10 s right after the lab was taken down (seen).
    for _ in range(600):
        if _pid_alive(paths["master_pid"]):
            return True
        time.sleep(0.1)
    raise CommandExecutionError(
        "salt-master did not start in 60 s; see %s"
        % os.path.join(paths["root"], "var", "log", "salt", "master")
    )


# --------------------------------------------------------------------------
# containers


def _brick_up(cfg, name, home):
    image = os.path.join(home, "brick.img")
    mountpoint = os.path.join(home, "brick")
    os.makedirs(mountpoint, exist_ok=True)
    if mountpoint in _mounts_under(mountpoint):
        return mountpoint
    if not os.path.exists(image):
        _run(["truncate", "-s", cfg["brick_size"], image])
        # 512-byte inodes: room for GlusterFS's xattrs (its documented advice).
        _run(["mkfs.xfs", "-q", "-i", "size=512", "-L", "brick-" + name[:6], image])
    loops = _loops_for(home)
    loop = loops[0] if loops else _run(["losetup", "--find", "--show", image]).stdout.strip()
    _run(["mount", "-t", "xfs", loop, mountpoint])
    return mountpoint


def _rootfs_up(cfg, home):
    rootfs = os.path.join(home, "rootfs")
    if rootfs in _mounts_under(rootfs):
        return rootfs, False
    upper, work = os.path.join(home, "upper"), os.path.join(home, "work")
    fresh = not os.path.exists(upper)
    for directory in (rootfs, upper, work):
        os.makedirs(directory, exist_ok=True)
    lower = os.path.join(cfg["cache_dir"], "rootfs")
    _run(
        [
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            "lowerdir=%s,upperdir=%s,workdir=%s" % (lower, upper, work),
            rootfs,
        ]
    )
    return rootfs, fresh


def _write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh_:
        fh_.write(text)
    os.chmod(path, mode)


def _identity(cfg, name, rootfs, master_pub):
    """What makes a clone a host of its own (written once per clone)."""
    machine = cfg["machines"][name]
    _write(os.path.join(rootfs, "etc/hostname"), name + "\n")
    _write(
        os.path.join(rootfs, "etc/hosts"),
        "127.0.0.1\tlocalhost\n%s\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        % (machine["ip"], name),
    )
    _write(os.path.join(rootfs, "etc/machine-id"), uuid.uuid4().hex + "\n", 0o444)
    _run(["ssh-keygen", "-A", "-f", rootfs])
    # apt through the lab's package cache (plain http; apt-cacher-ng).
    _write(
        os.path.join(rootfs, "etc/apt/apt.conf.d/01lab-proxy"),
        "// salt-run lab.up: every lab host fetches through one cache\n"
        'Acquire::http::Proxy "http://%s:%d/";\n' % (cfg["uplink_host_ip"], cfg["apt_proxy_port"]),
    )
    resolv = "".join(
        line
        for line in open("/etc/resolv.conf", encoding="utf-8")
        if line.startswith(("nameserver", "search", "options"))
        and not line.split()[1:2] == ["127.0.0.53"]
    )
    _write(os.path.join(rootfs, "etc/resolv.conf"), resolv)
    # The minion: its id, its master, its own key, the master's key.
    _write(
        os.path.join(rootfs, "etc/salt/minion.d/lab.conf"),
        "# salt-run lab.up\nid: %s\nmaster: %s\nhash_type: sha256\n" % (name, cfg["lan_master_ip"]),
    )
    pki = os.path.join(rootfs, "etc/salt/pki/minion")
    os.makedirs(pki, mode=0o700, exist_ok=True)
    priv, pub = salt.crypt.gen_keys(2048)
    _write(os.path.join(pki, "minion.pem"), priv, 0o400)
    _write(os.path.join(pki, "minion.pub"), pub)
    # The master's key, pinned: the minion trusts no other master.
    _write(os.path.join(pki, "minion_master.pub"), master_pub)


def _accept(name, rootfs):
    """Place the clone's public key as accepted in the master's pki."""
    pki = _paths()["pki"]
    with open(os.path.join(rootfs, "etc/salt/pki/minion/minion.pub"), encoding="utf-8") as fh_:
        pub = fh_.read()
    for state in ("minions_pre", "minions_rejected", "minions_denied"):
        stale = os.path.join(pki, state, name)
        if os.path.exists(stale):
            os.unlink(stale)
    _write(os.path.join(pki, "minions", name), pub)


def _devices_conf(devices):
    lines = []
    v1 = os.path.isdir("/sys/fs/cgroup/devices")
    for dev in devices:
        if not os.path.exists(dev):
            log.warning("lab: %s does not exist on this machine, skipped", dev)
            continue
        rdev = os.stat(dev).st_rdev
        allow = "c %d:%d rwm" % (os.major(rdev), os.minor(rdev))
        lines.append(
            "lxc.mount.entry = %s %s none bind,create=file,optional 0 0" % (dev, dev.lstrip("/"))
        )
        lines.append("lxc.cgroup%s.devices.allow = %s" % ("" if v1 else "2", allow))
    return lines


def _container_conf(cfg, name, home, rootfs, brick):
    machine = cfg["machines"][name]
    lines = [
        "# Written by salt-run lab.up: %s of the host map" % name,
        "lxc.include = /usr/share/lxc/config/common.conf",
        "lxc.arch = linux64",
        "lxc.uts.name = %s" % name,
        "lxc.rootfs.path = dir:%s" % rootfs,
        "lxc.apparmor.profile = unconfined",
        "lxc.init.cmd = /sbin/init",
        "lxc.log.file = %s" % os.path.join(home, "lxc.log"),
        "lxc.log.level = WARN",
    ]
    for index, nic in enumerate(machine["nics"]):
        key = "lxc.net.%d." % index
        lines += [
            key + "type = veth",
            key + "link = " + nic["bridge"],
            key + "name = " + nic["name"],
            key + "veth.pair = " + _vethname(name, nic["name"]),
            key + "hwaddr = " + _mac(name, nic["name"]),
            key + "ipv4.address = " + nic["address"],
            key + "flags = up",
        ]
        if nic["gateway"]:
            lines.append(key + "ipv4.gateway = " + nic["gateway"])
    lines += _devices_conf(cfg["devices"])
    if brick:
        lines.append(
            "lxc.mount.entry = %s %s none bind,create=dir 0 0"
            % (brick, cfg["brick_path"].lstrip("/"))
        )
    return "\n".join(lines) + "\n"


def _lxc(cfg, *args, check=True):
    return _run(
        list(args[:1]) + ["-P", _paths()["lxcpath"]] + list(args[1:]),
        netns=cfg["netns"],
        check=check,
    )


def _container_state(cfg, name):
    if not os.path.exists("/run/netns/" + cfg["netns"]):
        return "STOPPED"
    out = _lxc(cfg, "lxc-info", "-n", name, "-s", "-H", check=False)
    return out.stdout.strip() if out.returncode == 0 else "ABSENT"


def _container_up(cfg, name, master_pub):
    paths = _paths()
    home = os.path.join(paths["lab"], "hosts", name)
    os.makedirs(home, exist_ok=True)
    if _container_state(cfg, name) == "RUNNING":
        return False
    brick = _brick_up(cfg, name, home) if cfg["machines"][name]["brick"] else None
    rootfs, fresh = _rootfs_up(cfg, home)
    if fresh or not os.path.exists(os.path.join(rootfs, "etc/salt/pki/minion/minion.pem")):
        _identity(cfg, name, rootfs, master_pub)
    _accept(name, rootfs)
    _write(
        os.path.join(paths["lxcpath"], name, "config"),
        _container_conf(cfg, name, home, rootfs, brick),
    )
    # lxc-start runs where the bridges are (see lab/netns-exec.sh).
    _run(
        [
            os.path.join(_project(), "lab", "netns-exec.sh"),
            cfg["netns"],
            "lxc-start",
            "-P",
            paths["lxcpath"],
            "-n",
            name,
            "-d",
        ]
    )
    return True


def _ping(names, timeout):
    """Wait until every minion answers test.ping; return who answered.

    The `salt` command, not a LocalClient in this process: this process read
    the master config before `up` wrote .run/conf.d/lab.conf.
    """
    answered = set()
    deadline = time.time() + timeout
    while time.time() < deadline and answered != set(names):
        left = sorted(set(names) - answered)
        out = _run(
            [
                _salt_bin("salt"),
                "-c",
                _confdir(),
                "--out=json",
                "--static",
                "--timeout=5",
                "-L",
                ",".join(left),
                "test.ping",
            ],
            check=False,
        )
        try:
            ret = json.loads(out.stdout or "{}")
        except ValueError:
            ret = {}
        answered |= {m for m, ok in ret.items() if ok is True}
        if answered != set(names):
            time.sleep(2)
    return sorted(answered)


# --------------------------------------------------------------------------
# public


def up(wait=60):
    """
    Bring the lab up: install this machine's tools if missing, build (once) the
    Debian 12 rootfs, wire the network namespace, start apt-cacher-ng and the
    project's salt-master, start one container per host of the host map and
    wait until every minion answers test.ping. Running it again is harmless.

    wait
        seconds to wait for the minions (0: do not wait). Default 60.

    CLI Example:

    .. code-block:: bash

        salt-run lab.up
        salt-run lab.up wait=0
    """
    _require_root()
    started = time.time()
    timings = {}
    paths = _paths()
    installed = _ensure_host_packages()
    cfg = _settings()
    for directory in (paths["lab"], paths["lxcpath"], os.path.join(paths["lab"], "hosts")):
        os.makedirs(directory, exist_ok=True)
    # Saved first: whatever follows, `down` knows what to look for.
    with open(paths["state"], "w", encoding="utf-8") as fh_:
        json.dump(cfg, fh_, indent=1)

    step = time.time()
    build = _run(
        [
            os.path.join(_project(), "lab", "build-rootfs.sh"),
            cfg["cache_dir"],
            _minion_requirements(),
            cfg["mirror"],
        ],
        env=dict(os.environ, PYTHON=sys.executable),
    )
    log.info("lab: %s", build.stderr.strip())
    timings["rootfs"] = round(time.time() - step, 1)

    # The test guest (lab/guest): built once and cached like the rootfs, and
    # served to the controller as salt://testguest.img for Glance.
    step = time.time()
    _run([os.path.join(_project(), "lab", "guest", "build.sh"), _guest_dir(cfg)])
    timings["guest image"] = round(time.time() - step, 1)

    step = time.time()
    _network_up(cfg)
    _apt_proxy_up(cfg)
    master_pub = _master_pub()
    changed = _write_lab_conf(cfg)
    _master_up(restart=changed)
    timings["network+daemons"] = round(time.time() - step, 1)

    step = time.time()
    started_now = [n for n in sorted(cfg["machines"]) if _container_up(cfg, n, master_pub)]
    timings["containers"] = round(time.time() - step, 1)

    step = time.time()
    answered = _ping(sorted(cfg["machines"]), int(wait)) if int(wait) else []
    timings["minions"] = round(time.time() - step, 1)
    result = {
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


def _minion_requirements():
    """What the lab's minions pip-install at build time: salt of the master's
    version and the Salt extensions pinned in requirements.txt."""
    reqs = ["salt==" + _salt_version()]
    with open(os.path.join(_project(), "requirements.txt"), encoding="utf-8") as fh_:
        reqs += [line.strip() for line in fh_ if line.startswith("saltext-")]
    return " ".join(reqs)


def _salt_version():
    import salt.version  # pylint: disable=import-outside-toplevel

    return salt.version.__version__


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
    _require_root()
    started = time.time()
    paths = _paths()
    cfg = _saved_settings()
    done = []
    netns_exists = os.path.exists("/run/netns/" + cfg["netns"])
    # Containers: killed (they are throwaway), then their directories go.
    if os.path.isdir(paths["lxcpath"]):
        for name in sorted(os.listdir(paths["lxcpath"])):
            if netns_exists and _container_state(cfg, name) not in ("STOPPED", "ABSENT"):
                _lxc(cfg, "lxc-stop", "-n", name, "-k", check=False)
                done.append("stopped " + name)
    # Daemons. This very salt-run reports its return to the master's event
    # bus after this function returns, so the master is stopped by a detached
    # helper once this process has exited.
    if _pid_alive(paths["master_pid"]):
        _stop_master_after_exit(paths["master_pid"])
        done.append("salt-master stops when this salt-run exits")
    if _stop_pid(paths["acng_pid"]):
        done.append("stopped apt-cacher-ng")
    # Mounts (overlay rootfs, bricks), loop devices, files.
    for point in _mounts_under(paths["lab"]):
        if not _ok(["umount", point]):
            _run(["umount", "-l", point])
        done.append("unmounted " + point)
    for loop in _loops_for(paths["lab"]):
        _run(["losetup", "-d", loop])
        done.append("detached " + loop)
    # Network: the namespace takes its bridges and the uplink's peer with it.
    if netns_exists:
        _run(["ip", "netns", "delete", cfg["netns"]])
        done.append("deleted netns " + cfg["netns"])
    if _ok(["ip", "link", "show", cfg["uplink_host_if"]]):
        _run(["ip", "link", "delete", cfg["uplink_host_if"]])
        done.append("deleted " + cfg["uplink_host_if"])
    rule = _host_rule(cfg)
    while _ok(["iptables", "-t", "nat", "-C", "POSTROUTING"] + rule):
        _run(["iptables", "-t", "nat", "-D", "POSTROUTING"] + rule)
        done.append("deleted NAT rule")
    saved = os.path.join(paths["lab"], "ip_forward.orig")
    if os.path.exists(saved):
        with open(saved, encoding="utf-8") as fh_:
            old = fh_.read().strip()
        with open("/proc/sys/net/ipv4/ip_forward", "w", encoding="utf-8") as fh_:
            fh_.write(old + "\n")
        done.append("net.ipv4.ip_forward=" + old)
    # The lab minions' keys (each clone had its own) and the lab master conf.
    for name in cfg["machines"]:
        for state in ("minions", "minions_pre", "minions_rejected", "minions_denied"):
            key = os.path.join(paths["pki"], state, name)
            if os.path.exists(key):
                os.unlink(key)
    if os.path.exists(paths["lab_conf"]):
        os.unlink(paths["lab_conf"])
        done.append("removed " + paths["lab_conf"])
    if os.path.isdir(paths["lab"]):
        leftovers = _mounts_under(paths["lab"])
        if leftovers:
            raise CommandExecutionError("still mounted: %s" % leftovers)
        shutil.rmtree(paths["lab"])
    if purge and os.path.isdir(cfg["cache_dir"]):
        shutil.rmtree(cfg["cache_dir"])
        done.append("purged " + cfg["cache_dir"])
    return {"done": done, "seconds": round(time.time() - started, 1)}


def status():
    """
    What of the lab exists now: the namespace, uplink, NAT rule, daemons,
    containers (state and addresses), brick mounts.

    CLI Example:

    .. code-block:: bash

        salt-run lab.status
    """
    paths = _paths()
    cfg = _saved_settings()
    ns = cfg["netns"]
    has_ns = os.path.exists("/run/netns/" + ns)
    containers = {}
    for name in sorted(cfg["machines"]):
        state = _container_state(cfg, name) if has_ns else "ABSENT"
        entry = {"state": state}
        if state == "RUNNING":
            out = _lxc(cfg, "lxc-info", "-n", name, "-i", "-H", check=False)
            entry["ips"] = out.stdout.split()
        brick = os.path.join(paths["lab"], "hosts", name, "brick")
        if brick in _mounts_under(brick):
            entry["brick"] = brick
        containers[name] = entry
    with open("/proc/sys/net/ipv4/ip_forward", encoding="utf-8") as fh_:
        forward = fh_.read().strip()
    return {
        "netns": ns if has_ns else None,
        "uplink": cfg["uplink_host_if"]
        if _ok(["ip", "link", "show", cfg["uplink_host_if"]])
        else None,
        "nat rule": _ok(["iptables", "-t", "nat", "-C", "POSTROUTING"] + _host_rule(cfg))
        if shutil.which("iptables")
        else False,
        "net.ipv4.ip_forward": forward,
        "salt-master pid": _pid_alive(paths["master_pid"]),
        "apt-cacher-ng pid": _pid_alive(paths["acng_pid"]),
        "lab.conf": os.path.exists(paths["lab_conf"]),
        "containers": containers,
        "loop devices": _loops_for(paths["lab"]),
    }


def access():
    """
    How to reach the lab and the cloud in it, as lines of text (`make lab`
    prints them).

    CLI Example:

    .. code-block:: bash

        salt-run --out=newline_values_only lab.access
    """
    cfg = _saved_settings()
    ns = cfg["netns"]
    lxc = os.path.join(_project(), "lab", "attach.sh")
    return "\n".join(
        [
            "The lab's hosts: {} (`salt '*' test.ping` from the checkout).".format(
                ", ".join(sorted(cfg["machines"]))
            ),
            f"A shell on a host:  {lxc} controller",
            "The cloud's admin:  on the controller, `. /root/admin-openrc` then"
            " `openstack server list` (the file is 0600, root's)",
            "The dashboard:      https://{}/ from this machine (routed through network "
            "namespace {}; the certificate is the gateway's self-signed one)".format(
                cfg["public_ip"], ns
            ),
            "                    user: openstack:admin:username (admin), domain Default; password: "
            "`grep admin_password pillar/secrets/generated.sls` (pillar/local.sls wins)",
            "Check the cloud:    .venv/bin/salt-run --state-output=full "
            "state.orchestrate openstack.verify",
            "Bring it down:      make lab-down",
        ]
    )
