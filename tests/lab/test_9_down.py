"""lab.down leaves nothing behind (runs last: files run in name order)."""

import glob
import json
import os
import time

import pytest

from tests.lab.labkit import BIN, LAB, LABCFG, RUN, run

pytestmark = pytest.mark.lab


def test_down_leaves_nothing(lab, before_lab):
    started = time.time()
    run([os.path.join(BIN, "salt-run"), "lab.down"], timeout=300)
    print(f"lab.down took {time.time() - started:.1f}s")
    # The master is stopped once that salt-run has exited: give it time.
    for _ in range(60):
        if not run(["pgrep", "-f", os.path.join(BIN, "salt-master")], check=False).stdout:
            break
        time.sleep(0.5)
    # no container
    assert not run(["pgrep", "-f", "lxc monitor.*" + LAB], check=False).stdout
    assert not os.path.exists(os.path.join(LAB, "lxc"))
    # no namespace, bridge, uplink
    assert LABCFG["netns"] not in run(["ip", "netns", "list"]).stdout
    links = {link["ifname"] for link in json.loads(run(["ip", "-j", "link"]).stdout)}
    before = {link["ifname"] for link in json.loads(before_lab["links"])}
    assert links == before
    assert LABCFG["uplink"]["host_if"] not in links
    # no rule; routes and addresses as before; ip_forward restored
    assert "openstack-salt-lab" not in run(["iptables-save"]).stdout
    assert json.loads(run(["ip", "-j", "route"]).stdout) == json.loads(before_lab["routes"])
    with open("/proc/sys/net/ipv4/ip_forward", encoding="utf-8") as fh_:
        assert fh_.read().strip() == before_lab["ip_forward"]
    # no loop device, no mount, no image file
    loops = json.loads(run(["losetup", "-J", "-l"]).stdout or "{}").get("loopdevices", [])
    assert not [d for d in loops if (d.get("back-file") or "").startswith(RUN)]
    with open("/proc/self/mountinfo", encoding="utf-8") as fh_:
        assert not [line for line in fh_ if LAB in line]
    assert not glob.glob(os.path.join(LAB, "**", "*.img"), recursive=True)
    # no daemon: master, apt-cacher-ng
    assert not run(["pgrep", "-f", os.path.join(BIN, "salt-master")], check=False).stdout
    assert not run(["pgrep", "-f", "apt-cacher-ng.*" + LAB], check=False).stdout
    assert not os.path.exists(os.path.join(RUN, "conf.d", "lab.conf"))
    # the caches stay (down without purge)
    assert os.path.isdir(os.path.join(LABCFG["cache_dir"], "rootfs"))
