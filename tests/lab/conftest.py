"""
The lab tier: a real lab on this machine (`make lab-test`, as root).

The session fixture brings the lab up with `salt-run lab.up` and, whatever
happens, down again at the end; test_9_down.py brings it down itself first
and checks that nothing is left.
"""

import os
import time

import pytest

from tests.lab.labkit import BIN, LAB, run

# LAB_REUSE=1: run against the lab that is up now (no up, no down), e.g.
#   LAB_REUSE=1 make lab-test ARGS=tests/lab/test_5_storage.py
REUSE = os.environ.get("LAB_REUSE") == "1" and os.path.exists(os.path.join(LAB, "state.json"))


@pytest.fixture(scope="session")
def before_lab():
    """What this machine looked like before the lab (compared after down)."""
    if REUSE:
        pytest.skip("LAB_REUSE: the lab was up before, nothing to compare")
    if os.path.exists(os.path.join(LAB, "state.json")):
        # A lab from an earlier run: start from a machine without one.
        run([os.path.join(BIN, "salt-run"), "lab.down"], timeout=300)
        time.sleep(3)
    with open("/proc/sys/net/ipv4/ip_forward", encoding="utf-8") as fh_:
        forward = fh_.read().strip()
    return {
        "ip_forward": forward,
        "links": run(["ip", "-j", "link"]).stdout,
        "routes": run(["ip", "-j", "route"]).stdout,
        "addrs": run(["ip", "-j", "addr"]).stdout,
    }


@pytest.fixture(scope="session")
def lab(request):
    if os.geteuid() != 0:
        pytest.skip("the lab tier runs as root")
    if REUSE:
        yield {"up_seconds": None, "up": "reused"}
        return
    request.getfixturevalue("before_lab")
    started = time.time()
    proc = run([os.path.join(BIN, "salt-run"), "--out=json", "lab.up"], check=False, timeout=900)
    elapsed = time.time() - started
    print(f"lab.up took {elapsed:.1f}s")
    try:
        assert proc.returncode == 0 and '"answered test.ping"' in proc.stdout, (
            proc.stdout[-3000:] + proc.stderr[-3000:]
        )
        yield {"up_seconds": elapsed, "up": proc.stdout}
    finally:
        if os.path.exists(os.path.join(LAB, "state.json")):
            run([os.path.join(BIN, "salt-run"), "lab.down"], check=False)
