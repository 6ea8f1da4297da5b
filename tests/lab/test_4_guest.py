"""The test guest (lab/guest) boots under TCG in a lab host's libvirt."""

import os
import shutil

import pytest

from tests.lab.labkit import GATEWAY, LAB, LABCFG, PROJECT, on, run

pytestmark = pytest.mark.lab
GUEST_DIR = os.path.join(LABCFG["cache_dir"], "guest")


def test_guest_boots_under_tcg_in_a_container(lab):
    run([os.path.join(PROJECT, "lab", "guest", "build.sh"), GUEST_DIR], timeout=900)
    image = os.path.join(GUEST_DIR, "testguest.img")
    with open(image + ".format", encoding="utf-8") as fh_:
        fmt = fh_.read().strip()
    # Into the gateway's filesystem (its rootfs overlay, mounted here).
    rootfs = os.path.join(LAB, "hosts", GATEWAY, "rootfs")
    shutil.copyfile(image, os.path.join(rootfs, "root", "testguest.img"))
    shutil.copyfile(
        os.path.join(os.path.dirname(__file__), "guest_boot.sh"),
        os.path.join(rootfs, "root", "guest_boot.sh"),
    )
    proc = on(
        GATEWAY, f"sh /root/guest_boot.sh /root/testguest.img {fmt} 120", check=False, timeout=900
    )
    print(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "TESTGUEST READY 10.77.0." in proc.stdout
    seconds = int(proc.stdout.split("seconds: ", 1)[1].split()[0])
    # lab/guest promises < 30 s under TCG on a quiet machine; here it shares
    # two cores with five containers.
    assert seconds < 60, proc.stdout
