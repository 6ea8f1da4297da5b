"""
The lab's settings: derived from the pillar a lab host sees (the host map,
``pillar/lab.sls``) and checked before anything is made; and where the lab
keeps its files under the master's ``root_dir`` (``.run/``).
"""

import ipaddress
import json
import os
import socket

import salt.pillar
from salt.exceptions import SaltInvocationError

# The Debian suites lab/build-rootfs.sh has a recipe for.
SUITES = ("bookworm", "trixie")


def paths(opts):
    """The lab's files, from the master's options."""
    root = opts["root_dir"]
    lab = os.path.join(root, "lab")
    return {
        "root": root,
        "lab": lab,
        "lxcpath": os.path.join(lab, "lxc"),
        "state": os.path.join(lab, "state.json"),
        "lab_conf": os.path.join(root, "conf.d", "lab.conf"),
        "conf_dir": os.path.dirname(os.path.abspath(opts["conf_file"])),
        "pki": opts["pki_dir"],
        "master_pid": os.path.join(root, "var", "run", "salt-master.pid"),
        "acng_pid": os.path.join(lab, "apt-cacher-ng", "pid"),
    }


def lab_pillar(opts, minion_id=None):
    """The pillar a lab host sees (compiled as a lab master would): the
    master's own (no secrets: it is not in the host map), or minion
    ``minion_id``'s."""
    opts = dict(opts)
    opts["openstack_lab"] = True
    minion_id = minion_id or opts["id"]
    base = salt.pillar.get_pillar(
        opts, {"id": minion_id}, minion_id, saltenv="base", pillarenv="base"
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


def nameservers(resolv_conf):
    """The nameserver addresses of a resolv.conf's text (unparsable ones skipped)."""
    found = []
    for line in resolv_conf.splitlines():
        parts = line.split()
        if len(parts) > 1 and parts[0] == "nameserver":
            try:
                found.append(ipaddress.ip_address(parts[1]))
            except ValueError:
                continue
    return found


def mirror_host(mirror):
    """The host name of a mirror URL (``http://deb.debian.org/debian``)."""
    return mirror.split("//", 1)[-1].split("/", 1)[0].split(":")[0]


def upstream_addresses(mirror):
    """This machine's resolvers and the mirror's addresses: the lab must reach
    them. A list of (what, address)."""
    found = []
    try:
        with open("/etc/resolv.conf", encoding="utf-8") as fh_:
            found += [("nameserver", addr) for addr in nameservers(fh_.read())]
    except OSError:
        pass
    host = mirror_host(mirror)
    try:
        for info in socket.getaddrinfo(host, 80, socket.AF_INET, socket.SOCK_STREAM):
            found.append(("mirror " + host, ipaddress.ip_address(info[4][0])))
    except OSError:
        pass
    return found


def derive(pillar, upstream, suite=None):
    """
    Everything the lab needs, from a lab host's pillar, checked: raises
    SaltInvocationError naming every problem. ``upstream``: the (what,
    address) pairs the lab must reach (``upstream_addresses``); ``suite``:
    the Debian suite of the hosts, instead of pillar ``lab:suite``.
    """
    lab = pillar["lab"]
    suite = suite or lab.get("suite")
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
    if suite not in SUITES:
        problems.append(
            "lab:suite %r: the lab builds a rootfs of %s only" % (suite, " or ".join(SUITES))
        )
    gateways = [n for n, h in hosts.items() if "gateway" in (h.get("roles") or [])]
    if len(gateways) != 1:
        problems.append("exactly one host needs the gateway role, found %s" % gateways)
    master_ip = ipaddress.ip_address(lab["lan_master_ip"])
    if master_ip not in lan:
        problems.append("lab:lan_master_ip %s is not in %s" % (master_ip, lan))
    if uplink.overlaps(lan) or uplink.overlaps(public) or lan.overlaps(public):
        problems.append("lan, public and uplink networks must not overlap")
    for what, addr in upstream:
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
        roles = host.get("roles") or []
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
                "network": "lan",
                "bridge": lab["lan_bridge"],
                "address": "%s/%d" % (host["ip"], lan.prefixlen),
                # The guide: LAN-only hosts send everything through the gateway.
                "gateway": None if "gateway" in roles else gw_ip,
            }
        ]
        if "gateway" in roles:
            if "public" not in ifs:
                problems.append("gateway %s has no interfaces:public" % name)
                continue
            nics.append(
                {
                    "name": ifs["public"],
                    "network": "public",
                    "bridge": lab["public_bridge"],
                    "address": "%s/%d" % (public_ip, public.prefixlen),
                    "gateway": str(pub_hosts[0]),
                }
            )
        # The instances' wire: a NIC of its own on the provider bridge, no
        # address (the host's OVS bridge takes it). A provider NIC that is
        # the LAN NIC means a VLAN on the LAN: nothing to wire here.
        provider = ifs.get("provider")
        if provider and provider != ifs["lan"]:
            nics.append(
                {
                    "name": provider,
                    "network": "provider",
                    "bridge": lab["provider_bridge"],
                    "address": None,
                    "gateway": None,
                }
            )
        names = [nic["name"] for nic in nics]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            problems.append(
                "%s: %s on two networks (%s)"
                % (
                    name,
                    ", ".join(twice),
                    ", ".join("interfaces:%s" % n["network"] for n in nics if n["name"] in twice),
                )
            )
            continue
        machines[name] = {
            "ip": host["ip"],
            "roles": roles,
            # In the order of their names: eth0, eth1, ... as LXC adds them.
            "nics": sorted(nics, key=lambda nic: nic["name"]),
            "brick": "compute" in roles,
        }
    if problems:
        raise SaltInvocationError("lab pillar: " + "; ".join(problems))
    return {
        "suite": suite,
        "netns": lab["netns"],
        "lan_bridge": lab["lan_bridge"],
        "public_bridge": lab["public_bridge"],
        "provider_bridge": lab["provider_bridge"],
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


def settings(opts, suite=None):
    """The lab's settings from the pillar of a lab host of this master
    (``suite``: instead of pillar ``lab:suite``)."""
    pillar = lab_pillar(opts)
    return derive(pillar, upstream_addresses(pillar["lab"]["mirror"]), suite=suite)


def saved(opts, where):
    """The settings of the running lab (as ``up`` saved them in
    ``where["state"]``), else pillar's."""
    if os.path.exists(where["state"]):
        with open(where["state"], encoding="utf-8") as fh_:
            cfg = json.load(fh_)
        # Saved before the lab had a suite: it ran Debian 12.
        cfg.setdefault("suite", "bookworm")
        return cfg
    return settings(opts)


def rootfs_dir(cfg):
    """The cached rootfs of the lab's suite (lab/build-rootfs.sh builds it)."""
    return os.path.join(cfg["cache_dir"], "rootfs-" + cfg["suite"])


def guest_dir(cfg):
    """Where the test guest image is cached (served as salt://testguest.img)."""
    return os.path.join(cfg["cache_dir"], "guest")
