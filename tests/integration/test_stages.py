"""
salt/stages.yaml is the one list of what the deployment applies: a step
added to a copy of the table shows up both in the orchestration (rendered on
a real master) and in highstate (the role SLS that the top file gives each
host), on exactly the hosts of the step's roles; nothing else has to be
edited.
"""

import shutil

import pytest
import yaml

from tests.support.master import master_overrides
from tests.support.paths import REPO, SALT
from tests.support.pillars import hosts_of, write_pillar_root
from tests.support.render import Minions

EXTRA = {
    "name": "extra-check",
    "what": "a step added by the test",
    "guide_steps": [],
    "roles": ["compute"],
    "except_roles": ["gateway"],
    "sls": ["extra"],
    "parallel": False,
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of salt/ whose table has one more step (in stage kvm, after
    kvm-migration) applying a new SLS."""
    root = tmp_path_factory.mktemp("tree")
    salt_root = root / "salt"
    shutil.copytree(SALT, salt_root, symlinks=True)
    # validation's schema lives beside the tree
    shutil.copy(REPO / "pillar.example", root / "pillar.example")
    table = yaml.safe_load((salt_root / "stages.yaml").read_text())
    (kvm,) = [stage for stage in table["stages"] if stage["name"] == "kvm"]
    kvm["steps"].append(EXTRA)
    (salt_root / "stages.yaml").write_text(yaml.safe_dump(table))
    (salt_root / "extra.sls").write_text("extra-marker:\n  test.succeed_without_changes: []\n")
    pillar_root = write_pillar_root(root / "pillar", "three_hosts")
    return salt_root, pillar_root


@pytest.fixture(scope="module")
def master(salt_factories, tree):
    salt_root, pillar_root = tree
    factory = salt_factories.salt_master_daemon(
        "stages-master", overrides=master_overrides(pillar_root, salt_root)
    )
    with factory.started():
        yield factory


def test_a_new_step_reaches_the_orchestration(master, tree):
    ret = master.salt_run_cli(timeout=300).run("state.orch_show_sls", "openstack")
    assert ret.returncode == 0, ret.stdout
    (chunks,) = ret.data.values()
    assert "openstack-stage-6-extra-check" in chunks, chunks["openstack-stage-1-validate"]
    body = chunks["openstack-stage-6-extra-check"]["salt"]
    args = {k: v for item in body if isinstance(item, dict) for k, v in item.items()}
    # compute hosts, the gateway left out; one at a time (parallel: false)
    assert args["tgt"] == "compute2"
    assert args["sls"] == ["extra"]
    assert args["batch"] == 1
    assert args["require"] == ["openstack-stage-6-kvm-migration"]
    following = chunks["openstack-stage-7-controller"]["salt"]
    require = [
        item["require"] for item in following if isinstance(item, dict) and "require" in item
    ]
    assert require == [["openstack-stage-6-extra-check"]]


def test_a_new_step_reaches_highstate(tmp_path_factory, tree):
    minions = Minions(tmp_path_factory, salt_root=tree[0])
    hosts = hosts_of("three_hosts")
    for host in sorted(hosts):
        ids = minions("three_hosts", "debian12", host).cmd("state.show_highstate")
        assert isinstance(ids, dict), ids
        # highstate goes by role: every compute host (the role SLS cannot
        # leave out the gateway; a step's SLS guards itself by host)
        assert ("extra-marker" in ids) == ("compute" in hosts[host]["roles"]), host
