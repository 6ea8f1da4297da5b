"""
The lab's containers: the cached Debian rootfs of the lab's suite (built by
``lab/build-rootfs.sh``) under an overlay per host, a brick image per compute
host, each clone's identity (machine-id, SSH host keys, minion key pair, the
master's key pinned), its LXC configuration, the ``lxc-*`` calls (inside the
lab's namespace) and the wait for the minions.
"""

import json
import logging
import os
import sys
import time
import uuid

import salt.crypt
import salt.version

from . import network
from .settings import guest_dir, rootfs_dir
from .system import PROJECT, lab_script, run, salt_bin, write

log = logging.getLogger(__name__)

KEY_DIRS = ("minions", "minions_pre", "minions_rejected", "minions_denied")


def mounts_under(path, mountinfo="/proc/self/mountinfo"):
    """Mount points at or under path, deepest first."""
    found = []
    with open(mountinfo, encoding="utf-8") as fh_:
        for line in fh_:
            point = line.split()[4].replace("\\040", " ")
            if point == path or point.startswith(path.rstrip("/") + "/"):
                found.append(point)
    return sorted(set(found), key=len, reverse=True)


def loops_for(directory):
    """Loop devices whose backing file lives under directory."""
    out = run(["losetup", "--list", "--json", "--output", "NAME,BACK-FILE"], check=False)
    devices = []
    if out.returncode == 0 and out.stdout.strip():
        for dev in json.loads(out.stdout).get("loopdevices", []):
            back = (dev.get("back-file") or "").replace(" (deleted)", "")
            if back.startswith(directory.rstrip("/") + "/"):
                devices.append(dev["name"])
    return devices


def minion_requirements():
    """What the lab's minions pip-install at build time: salt of the master's
    version and the Salt extensions pinned in requirements.txt."""
    reqs = ["salt==" + salt.version.__version__]
    with open(os.path.join(PROJECT, "requirements.txt"), encoding="utf-8") as fh_:
        reqs += [line.strip() for line in fh_ if line.startswith("saltext-")]
    return " ".join(reqs)


def build_rootfs(cfg):
    """Build the cached rootfs of the lab's suite unless it exists; returns the
    script's report."""
    build = run(
        [
            lab_script("build-rootfs.sh"),
            cfg["cache_dir"],
            cfg["suite"],
            minion_requirements(),
            cfg["mirror"],
        ],
        env=dict(os.environ, PYTHON=sys.executable),
    )
    return build.stderr.strip()


def build_guest(cfg):
    """The test guest (lab/guest): built once and cached like the rootfs, and
    served to the controller as salt://testguest.img for Glance."""
    run([lab_script("guest", "build.sh"), guest_dir(cfg)])


def lxc(cfg, where, *args, check=True):
    """An lxc-* command on the lab's containers, in the lab's namespace."""
    return run(
        list(args[:1]) + ["-P", where["lxcpath"]] + list(args[1:]),
        netns=cfg["netns"],
        check=check,
    )


def state(cfg, where, name):
    """RUNNING, STOPPED, ... as lxc-info says; ABSENT for no such container."""
    if not network.exists(cfg):
        return "STOPPED"
    out = lxc(cfg, where, "lxc-info", "-n", name, "-s", "-H", check=False)
    return out.stdout.strip() if out.returncode == 0 else "ABSENT"


def brick_up(cfg, name, home):
    """The host's brick: a sparse XFS image on a loop device, mounted."""
    image = os.path.join(home, "brick.img")
    mountpoint = os.path.join(home, "brick")
    os.makedirs(mountpoint, exist_ok=True)
    if mountpoint in mounts_under(mountpoint):
        return mountpoint
    if not os.path.exists(image):
        run(["truncate", "-s", cfg["brick_size"], image])
        # 512-byte inodes: room for GlusterFS's xattrs (its documented advice).
        run(["mkfs.xfs", "-q", "-i", "size=512", "-L", "brick-" + name[:6], image])
    loops = loops_for(home)
    loop = loops[0] if loops else run(["losetup", "--find", "--show", image]).stdout.strip()
    run(["mount", "-t", "xfs", loop, mountpoint])
    return mountpoint


def rootfs_up(cfg, home):
    """The host's root: an overlay of the cached rootfs, writes kept in
    ``home/upper``. Returns (path, fresh): fresh when the upper layer is new."""
    rootfs = os.path.join(home, "rootfs")
    if rootfs in mounts_under(rootfs):
        return rootfs, False
    upper, work = os.path.join(home, "upper"), os.path.join(home, "work")
    fresh = not os.path.exists(upper)
    for directory in (rootfs, upper, work):
        os.makedirs(directory, exist_ok=True)
    lower = rootfs_dir(cfg)
    run(
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


def resolv_conf(text):
    """A host's resolv.conf from this machine's: its nameserver, search and
    options lines, without systemd-resolved's stub (127.0.0.53)."""
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if line.startswith(("nameserver", "search", "options"))
        and not line.split()[1:2] == ["127.0.0.53"]
    )


def identity_files(cfg, name):
    """The files (path under the rootfs: text) that name a clone and point it
    at the lab's cache and master, keys aside."""
    return {
        "etc/hostname": name + "\n",
        "etc/hosts": "127.0.0.1\tlocalhost\n%s\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        % (cfg["machines"][name]["ip"], name),
        # apt through the lab's package cache (plain http; apt-cacher-ng).
        "etc/apt/apt.conf.d/01lab-proxy": "// salt-run lab.up: every lab host fetches through "
        'one cache\nAcquire::http::Proxy "http://%s:%d/";\n'
        % (cfg["uplink_host_ip"], cfg["apt_proxy_port"]),
        # The minion: its id, its master.
        "etc/salt/minion.d/lab.conf": "# salt-run lab.up\nid: %s\nmaster: %s\nhash_type: sha256\n"
        % (name, cfg["lan_master_ip"]),
    }


def identity(cfg, name, rootfs, master_pub):
    """What makes a clone a host of its own (written once per clone)."""
    for rel, text in identity_files(cfg, name).items():
        write(os.path.join(rootfs, rel), text)
    with open("/etc/resolv.conf", encoding="utf-8") as fh_:
        write(os.path.join(rootfs, "etc/resolv.conf"), resolv_conf(fh_.read()))
    write(os.path.join(rootfs, "etc/machine-id"), uuid.uuid4().hex + "\n", 0o444)
    run(["ssh-keygen", "-A", "-f", rootfs])
    # The minion's own key pair, and the master's key, pinned: the minion
    # trusts no other master.
    pki = os.path.join(rootfs, "etc/salt/pki/minion")
    os.makedirs(pki, mode=0o700, exist_ok=True)
    priv, pub = salt.crypt.gen_keys(2048)
    write(os.path.join(pki, "minion.pem"), priv, 0o400)
    write(os.path.join(pki, "minion.pub"), pub)
    write(os.path.join(pki, "minion_master.pub"), master_pub)


def accept(where, name, rootfs):
    """Place the clone's public key as accepted in the master's pki."""
    pki = where["pki"]
    with open(os.path.join(rootfs, "etc/salt/pki/minion/minion.pub"), encoding="utf-8") as fh_:
        pub = fh_.read()
    for key_dir in KEY_DIRS[1:]:
        stale = os.path.join(pki, key_dir, name)
        if os.path.exists(stale):
            os.unlink(stale)
    write(os.path.join(pki, "minions", name), pub)


def devices_conf(devices):
    """LXC lines that bind each device of this machine into a container and
    allow it in the device cgroup (v1 or v2, whichever this machine has)."""
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


def container_conf(cfg, name, home, rootfs, brick):
    """The LXC configuration of host ``name``."""
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
            key + "veth.pair = " + network.veth_name(name, nic["name"]),
            key + "hwaddr = " + network.mac(name, nic["name"]),
        ]
        # The provider NIC has no address (the host's OVS bridge takes it).
        if nic["address"]:
            lines.append(key + "ipv4.address = " + nic["address"])
        lines.append(key + "flags = up")
        if nic["gateway"]:
            lines.append(key + "ipv4.gateway = " + nic["gateway"])
    lines += devices_conf(cfg["devices"])
    if brick:
        lines.append(
            "lxc.mount.entry = %s %s none bind,create=dir 0 0"
            % (brick, cfg["brick_path"].lstrip("/"))
        )
    return "\n".join(lines) + "\n"


def up(cfg, where, name, master_pub):
    """Start host ``name`` unless it runs (its brick, rootfs and identity
    first); True when started."""
    home = os.path.join(where["lab"], "hosts", name)
    os.makedirs(home, exist_ok=True)
    if state(cfg, where, name) == "RUNNING":
        return False
    brick = brick_up(cfg, name, home) if cfg["machines"][name]["brick"] else None
    rootfs, fresh = rootfs_up(cfg, home)
    if fresh or not os.path.exists(os.path.join(rootfs, "etc/salt/pki/minion/minion.pem")):
        identity(cfg, name, rootfs, master_pub)
    accept(where, name, rootfs)
    write(
        os.path.join(where["lxcpath"], name, "config"),
        container_conf(cfg, name, home, rootfs, brick),
    )
    # lxc-start runs where the bridges are (see lab/netns-exec.sh).
    run(
        [
            lab_script("netns-exec.sh"),
            cfg["netns"],
            "lxc-start",
            "-P",
            where["lxcpath"],
            "-n",
            name,
            "-d",
        ]
    )
    return True


def ping(names, timeout, conf_dir):
    """Wait until every minion answers test.ping; return who answered.

    The `salt` command, not a LocalClient in this process: this process read
    the master config before `up` wrote .run/conf.d/lab.conf.
    """
    answered = set()
    deadline = time.time() + timeout
    while time.time() < deadline and answered != set(names):
        left = sorted(set(names) - answered)
        out = run(
            [
                salt_bin("salt"),
                "-c",
                conf_dir,
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


def down(cfg, where):
    """Kill every container of the lab (they are throwaway). Returns what was done."""
    done = []
    if os.path.isdir(where["lxcpath"]) and network.exists(cfg):
        for name in sorted(os.listdir(where["lxcpath"])):
            if state(cfg, where, name) not in ("STOPPED", "ABSENT"):
                lxc(cfg, where, "lxc-stop", "-n", name, "-k", check=False)
                done.append("stopped " + name)
    return done


def release(where):
    """Unmount the overlays and bricks, detach the loop devices. Returns what was done."""
    done = []
    for point in mounts_under(where["lab"]):
        if run(["umount", point], check=False).returncode != 0:
            run(["umount", "-l", point])
        done.append("unmounted " + point)
    for loop in loops_for(where["lab"]):
        run(["losetup", "-d", loop])
        done.append("detached " + loop)
    return done


def forget_keys(cfg, where):
    """Remove the lab minions' keys from the master's pki (each clone had its own)."""
    for name in cfg["machines"]:
        for key_dir in KEY_DIRS:
            key = os.path.join(where["pki"], key_dir, name)
            if os.path.exists(key):
                os.unlink(key)


def status(cfg, where):
    """Each host's container: its state, addresses when running, its brick
    when mounted."""
    has_ns = network.exists(cfg)
    containers = {}
    for name in sorted(cfg["machines"]):
        entry = {"state": state(cfg, where, name) if has_ns else "ABSENT"}
        if entry["state"] == "RUNNING":
            out = lxc(cfg, where, "lxc-info", "-n", name, "-i", "-H", check=False)
            entry["ips"] = out.stdout.split()
        brick = os.path.join(where["lab"], "hosts", name, "brick")
        if brick in mounts_under(brick):
            entry["brick"] = brick
        containers[name] = entry
    return containers
