"""
The lab's network: the namespace with the guide's LAN and public bridges and
the instances' provider bridge, the uplink veth pair to this machine, the
namespace's firewall, and on this machine one NAT rule and
``net.ipv4.ip_forward`` (restored by ``down``).
The containers' veth names and MAC addresses are derived here too.
"""

import hashlib
import os
import shutil

from .system import ok, run

# The comment that marks the one rule the lab adds to this machine's firewall.
RULE_COMMENT = "openstack-salt-lab"
IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"


def mac(name, ifname):
    """The MAC address of host ``name``'s NIC ``ifname``: locally administered,
    the same on every ``up``."""
    digest = hashlib.sha256(("%s/%s" % (name, ifname)).encode()).digest()
    return "02:5a:" + ":".join("%02x" % b for b in digest[:4])


def veth_name(name, ifname):
    """The namespace side of host ``name``'s NIC ``ifname`` (at most 15 characters)."""
    return ("%s-%s" % (name[:9], ifname))[:15]


def bridges(cfg):
    """The namespace's bridges and their addresses (None: switched only)."""
    found = [
        (cfg["lan_bridge"], cfg["lan_master_cidr"]),
        (cfg["public_bridge"], cfg["public_router"]),
    ]
    # (A lab saved before the provider bridge has none.)
    if cfg.get("provider_bridge"):
        found.append((cfg["provider_bridge"], None))
    return found


def exists(cfg):
    """True when the lab's namespace exists."""
    return os.path.exists("/run/netns/" + cfg["netns"])


def _ip_forward():
    with open(IP_FORWARD, encoding="utf-8") as fh_:
        return fh_.read().strip()


def _set_ip_forward(value):
    with open(IP_FORWARD, "w", encoding="utf-8") as fh_:
        fh_.write(value + "\n")


def up(cfg, where):
    """Make (or complete) the namespace, its bridges, the uplink and the
    firewall rules; ``where``: the lab's paths (``settings.paths``)."""
    ns = cfg["netns"]
    if not exists(cfg):
        run(["ip", "netns", "add", ns])

    def nsrun(*cmd):
        return run(list(cmd), netns=ns)

    nsrun("ip", "link", "set", "lo", "up")
    # Bridges: the guide's LAN, the public network, and the instances'
    # provider network, which the namespace only switches: no address (its
    # router is the gateway host), no IPv6 link-local address, no ARP answer
    # for the namespace's other addresses.
    for bridge, addr in bridges(cfg):
        if not ok(["ip", "link", "show", bridge], netns=ns):
            nsrun("ip", "link", "add", bridge, "type", "bridge")
        if addr:
            nsrun("ip", "addr", "replace", addr, "dev", bridge)
        else:
            nsrun("sysctl", "-q", "-w", "net.ipv6.conf.%s.disable_ipv6=1" % bridge)
            nsrun("sysctl", "-q", "-w", "net.ipv4.conf.%s.arp_ignore=8" % bridge)
        nsrun("ip", "link", "set", bridge, "up")
    # The uplink: one veth pair, this machine <-> the namespace.
    host_if, ns_if = cfg["uplink_host_if"], cfg["uplink_netns_if"]
    if not ok(["ip", "link", "show", host_if]):
        run(["ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if, "netns", ns])
    host_addr = "%s/%d" % (cfg["uplink_host_ip"], cfg["uplink_prefix"])
    run(["ip", "addr", "replace", host_addr, "dev", host_if])
    run(["ip", "link", "set", host_if, "up"])
    ns_addr = "%s/%d" % (cfg["uplink_netns_ip"], cfg["uplink_prefix"])
    nsrun("ip", "addr", "replace", ns_addr, "dev", ns_if)
    nsrun("ip", "link", "set", ns_if, "up")
    nsrun("ip", "route", "replace", "default", "via", cfg["uplink_host_ip"])
    # This machine reaches the public network (the dashboard, the noVNC
    # proxy) through the namespace, as the Internet reaches a gateway. The
    # route goes with the uplink when lab.down deletes it.
    run(["ip", "route", "replace", cfg["public_cidr"], "via", cfg["uplink_netns_ip"]])
    # The namespace routes; bridged traffic between lab hosts stays off its
    # iptables (br_netfilter's switch is per namespace).
    nsrun("sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
    if os.path.exists("/proc/sys/net/bridge"):
        for key in ("iptables", "ip6tables", "arptables"):
            run(
                ["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-%s=0" % key],
                netns=ns,
                check=False,
            )
    run(["iptables-restore"], netns=ns, input=netns_rules(cfg))
    host_nat(cfg, where)


def netns_rules(cfg):
    """The namespace's rules, in iptables-restore's format (written whole:
    it is the lab's own namespace)."""
    ports = ",".join(str(p) for p in cfg["master_ports"])
    lan, pub, up_if = cfg["lan_bridge"], cfg["public_bridge"], cfg["uplink_netns_if"]
    return "\n".join(
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
            "-A POSTROUTING -o %s -j MASQUERADE" % up_if,
            "COMMIT",
            "*filter",
            ":INPUT DROP [0:0]",
            ":FORWARD DROP [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            "-A INPUT -i lo -j ACCEPT",
            # The provider network reaches nothing of the namespace's own.
            "-A INPUT -i %s -j DROP" % cfg["provider_bridge"],
            "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            "-A INPUT -p icmp -j ACCEPT",
            "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            # The master's ports, DNATed above: the LAN's only way through.
            "-A FORWARD -i %s -o %s -p tcp -m multiport --dports %s "
            "-m conntrack --ctstate DNAT -j ACCEPT" % (lan, up_if, ports),
            # The public network goes upstream, but only from its own addresses:
            # a LAN host's packet gets out only once the gateway NATs it.
            "-A FORWARD -i %s -o %s -s %s -j ACCEPT" % (pub, up_if, cfg["public_cidr"]),
            # This machine (and only it) reaches the public network.
            "-A FORWARD -i %s -o %s -s %s/32 -j ACCEPT" % (up_if, pub, cfg["uplink_host_ip"]),
            "COMMIT",
            "",
        ]
    )


def host_rule(cfg):
    """This machine's one rule (POSTROUTING of the nat table), as iptables arguments."""
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


def host_nat(cfg, where):
    """This machine: forward and masquerade the uplink (one rule); the old
    ``ip_forward`` is kept in the lab's directory for ``down``."""
    saved = os.path.join(where["lab"], "ip_forward.orig")
    if not os.path.exists(saved):
        old = _ip_forward()
        with open(saved, "w", encoding="utf-8") as fh_:
            fh_.write(old + "\n")
    _set_ip_forward("1")
    rule = host_rule(cfg)
    if not ok(["iptables", "-t", "nat", "-C", "POSTROUTING"] + rule):
        run(["iptables", "-t", "nat", "-A", "POSTROUTING"] + rule)


def down(cfg, where):
    """Delete the namespace (its bridges and the uplink's peer go with it),
    the uplink, the NAT rule; restore ``ip_forward``. Returns what was done."""
    done = []
    if exists(cfg):
        run(["ip", "netns", "delete", cfg["netns"]])
        done.append("deleted netns " + cfg["netns"])
    if ok(["ip", "link", "show", cfg["uplink_host_if"]]):
        run(["ip", "link", "delete", cfg["uplink_host_if"]])
        done.append("deleted " + cfg["uplink_host_if"])
    rule = host_rule(cfg)
    # A machine without iptables (the lab never came up here) has no rule.
    while shutil.which("iptables") and ok(["iptables", "-t", "nat", "-C", "POSTROUTING"] + rule):
        run(["iptables", "-t", "nat", "-D", "POSTROUTING"] + rule)
        done.append("deleted NAT rule")
    saved = os.path.join(where["lab"], "ip_forward.orig")
    if os.path.exists(saved):
        with open(saved, encoding="utf-8") as fh_:
            old = fh_.read().strip()
        _set_ip_forward(old)
        done.append("net.ipv4.ip_forward=" + old)
    return done


def status(cfg):
    """What of the network exists now (the first keys of ``lab.status``)."""
    return {
        "netns": cfg["netns"] if exists(cfg) else None,
        "uplink": cfg["uplink_host_if"]
        if ok(["ip", "link", "show", cfg["uplink_host_if"]])
        else None,
        "nat rule": ok(["iptables", "-t", "nat", "-C", "POSTROUTING"] + host_rule(cfg))
        if shutil.which("iptables")
        else False,
        "net.ipv4.ip_forward": _ip_forward(),
        "bridges": [
            bridge
            for bridge, _ in bridges(cfg)
            if exists(cfg) and ok(["ip", "link", "show", bridge], netns=cfg["netns"])
        ],
    }
