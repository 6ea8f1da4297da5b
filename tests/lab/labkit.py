"""
Helpers of the lab tier: the expectations (read from the pillar files, the
guide's host map, not from what the lab happens to have made) and ways to run
commands here and on the lab's hosts.
"""

import json
import os
import subprocess
import time

import yaml
from salt.utils.dictupdate import merge

from _runners._openstack import data as tree_data

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(PROJECT, ".venv", "bin")
RUN = os.path.join(PROJECT, ".run")
LAB = os.path.join(RUN, "lab")


def _yaml(*parts):
    with open(os.path.join(PROJECT, "pillar", *parts), encoding="utf-8") as fh_:
        return yaml.safe_load(fh_)


HOSTS = _yaml("openstack", "hosts.sls")["openstack"]["hosts"]
# What the states see (defaults, OS family, release, then the pillar files),
# merged as map.jinja and openstack.validate merge it.
CLOUD = tree_data.effective(
    tree_data.tree(os.path.join(PROJECT, "salt")), _yaml("openstack", "cloud.sls")["openstack"]
)
LABP = _yaml("lab.sls")
LABCFG = LABP["lab"]
PUBLIC_IP = LABP["openstack"]["public_ip"]
GATEWAY = next(n for n, h in HOSTS.items() if "gateway" in h["roles"])
LAN_ONLY = sorted(n for n, h in HOSTS.items() if "gateway" not in h["roles"])
COMPUTES = sorted(n for n, h in HOSTS.items() if "compute" in h["roles"])
# The hosts' provider NICs the lab wires to lab:provider_bridge (one that is
# the LAN NIC would be a VLAN on the LAN: not wired).
PROVIDER_NICS = {
    n: h["interfaces"]["provider"]
    for n, h in HOSTS.items()
    if h["interfaces"].get("provider") not in (None, h["interfaces"]["lan"])
}


def lab_pillar():
    """The pillar files a lab host gets (pillar/top.sls, secrets and mine
    aside), merged in that order the way the master merges them."""
    merged = {}
    for parts in (("openstack", "hosts.sls"), ("openstack", "cloud.sls"), ("lab.sls",)):
        merged = merge(merged, _yaml(*parts), strategy="recurse")
    return merged


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


def in_netns(*cmd, check=True):
    """Run a command in the lab's network namespace (this machine's side)."""
    return run(["ip", "netns", "exec", LABCFG["netns"], *cmd], check=check)


def on_json(host, script):
    return json.loads(on(host, script).stdout)


def salt(*args, timeout=120):
    proc = run(
        [os.path.join(BIN, "salt"), "--out=json", "--static"] + list(args),
        check=False,
        timeout=timeout,
    )
    return json.loads(proc.stdout or "{}")


def orchestrate(*args, sls="openstack", timeout=3600):
    """
    Run an orchestration. Returns (seconds, returncode, changed, steps, tail):
    the states changed on minions ("minion: state id"), and per step of the
    orchestration its id, result, seconds and the minions' state returns.
    """
    started = time.time()
    proc = run(
        [os.path.join(BIN, "salt-run"), "--out=json", "state.orchestrate", sls, *args],
        check=False,
        timeout=timeout,
    )
    seconds = time.time() - started
    tail = proc.stdout[-4000:] + proc.stderr[-4000:]
    try:
        data = json.loads(proc.stdout)["data"]
    except (ValueError, KeyError):
        return seconds, proc.returncode, None, [], tail
    changed, steps = [], []
    for step in sorted(next(iter(data.values())).values(), key=lambda s: s.get("__run_num__", 0)):
        rets = step.get("changes", {}).get("ret") or {}
        steps.append(
            {
                "id": step.get("__id__"),
                "result": step.get("result"),
                "seconds": step.get("duration", 0) / 1000,
                "ret": rets,
            }
        )
        for minion, states in rets.items():
            if isinstance(states, dict):
                changed += [
                    f"{minion}: {s.get('__id__')}"
                    for s in states.values()
                    if isinstance(s, dict) and s.get("changes")
                ]
    print(f"orchestration {sls} {' '.join(args)}: {seconds:.0f}s, {len(changed)} states changed")
    for step in steps:
        print(f"  {step['id']}: {step['result']} {step['seconds']:.1f}s")
    return seconds, proc.returncode, changed, steps, tail
