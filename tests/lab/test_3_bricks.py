"""GlusterFS bricks: loop-backed XFS at the pillar's brick path on each compute host."""

import pytest

from tests.lab.labkit import CLOUD, COMPUTES, HOSTS, on, on_json

pytestmark = pytest.mark.lab
BRICK = CLOUD["storage"]["brick_path"]


@pytest.mark.parametrize("host", COMPUTES)
def test_brick_is_xfs_writable_with_trusted_xattrs(lab, host):
    fs = on_json(host, f"findmnt -J -o TARGET,FSTYPE,OPTIONS {BRICK}")["filesystems"][0]
    assert fs["target"] == BRICK and fs["fstype"] == "xfs"
    assert fs["options"].startswith("rw")
    on(
        host,
        f"echo {host} > {BRICK}/.labtest && grep -qx {host} {BRICK}/.labtest "
        f"&& rm {BRICK}/.labtest",
    )
    # glusterd keeps its volume ids in trusted.* xattrs (privileged only).
    on(
        host,
        f"setfattr -n trusted.labtest -v 1 {BRICK} && getfattr -n trusted.labtest {BRICK} "
        f"&& setfattr -x trusted.labtest {BRICK}",
    )


def test_bricks_are_distinct_filesystems(lab):
    ids = {on(h, f"stat -f -c %i {BRICK}").stdout for h in COMPUTES}
    assert len(ids) == len(COMPUTES)


@pytest.mark.parametrize("host", sorted(set(HOSTS) - set(COMPUTES)))
def test_no_brick_where_there_is_no_compute_role(lab, host):
    assert on(host, f"findmnt {BRICK}", check=False).returncode != 0
