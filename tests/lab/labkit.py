"""
Helpers of the lab tier: the expectations (read from the pillar files, the
guide's host map, not from what the lab happens to have made) and ways to run
commands here and on the lab's hosts.
"""

import json
import os
import subprocess

import yaml

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(PROJECT, ".venv", "bin")
RUN = os.path.join(PROJECT, ".run")
LAB = os.path.join(RUN, "lab")


def _yaml(*parts):
    with open(os.path.join(PROJECT, "pillar", *parts), encoding="utf-8") as fh_:
        return yaml.safe_load(fh_)


HOSTS = _yaml("openstack", "hosts.sls")["openstack"]["hosts"]
CLOUD = _yaml("openstack", "cloud.sls")["openstack"]
LABP = _yaml("lab.sls")
LABCFG = LABP["lab"]
PUBLIC_IP = LABP["openstack"]["public_ip"]
GATEWAY = next(n for n, h in HOSTS.items() if "gateway" in h["roles"])
LAN_ONLY = sorted(n for n, h in HOSTS.items() if "gateway" not in h["roles"])
COMPUTES = sorted(n for n, h in HOSTS.items() if "compute" in h["roles"])


def run(cmd, check=True, timeout=600, **kwargs):
    """Run a command from the checkout (so the Saltfile applies)."""
    proc = subprocess.run(
        cmd, cwd=PROJECT, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{cmd} -> {proc.returncode}\n"
            f"stdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-3000:]}"
        )
    return proc


def on(host, script, check=True, timeout=600):
    """Run a shell script on a lab host (lxc-attach in the lab's namespace)."""
    return run(
        [
            "nsenter",
            "--net=/run/netns/" + LABCFG["netns"],
            "lxc-attach",
            "-P",
            os.path.join(LAB, "lxc"),
            "-n",
            host,
            "--",
            "sh",
            "-c",
            script,
        ],
        check=check,
        timeout=timeout,
    )


def on_json(host, script):
    return json.loads(on(host, script).stdout)


def salt(*args, timeout=120):
    proc = run(
        [os.path.join(BIN, "salt"), "--out=json", "--static"] + list(args),
        check=False,
        timeout=timeout,
    )
    return json.loads(proc.stdout or "{}")
