"""This machine: running commands, writing files, the tools the lab needs."""

import logging
import os
import shutil
import subprocess
import sys

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

# The checkout (this file is _runners/_lab/system.py).
PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

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


def run(cmd, check=True, netns=None, **kwargs):
    """Run a command (a list), in network namespace ``netns`` if given;
    raise CommandExecutionError with its stderr when it fails and ``check``."""
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


def ok(cmd, netns=None):
    """True when the command exits 0."""
    return run(cmd, check=False, netns=netns).returncode == 0


def write(path, text, mode=0o644):
    """Write a file (and its directory), with mode ``mode``."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh_:
        fh_.write(text)
    os.chmod(path, mode)


def lab_script(*parts):
    """A script of the checkout's lab/ directory."""
    return os.path.join(PROJECT, "lab", *parts)


def salt_bin(name):
    """A Salt command of the Python that runs this (the checkout's .venv)."""
    return os.path.join(os.path.dirname(sys.executable), name)


def require_root():
    if os.geteuid() != 0:
        raise CommandExecutionError(
            "the lab makes namespaces, bridges, loop devices and containers: run as root"
        )


def missing_packages(which=shutil.which):
    """The Debian packages of the tools in HOST_TOOLS that ``which`` does not find."""
    return sorted({pkg for tool, pkg in HOST_TOOLS.items() if not which(tool)})


def ensure_host_packages():
    """apt-get install what the lab needs, without starting any service."""
    missing = missing_packages()
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
        run(["apt-get", "update", "-q"], env=env)
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing, env=env)
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
