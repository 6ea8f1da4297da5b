"""
A real salt-master and one salt-minion per host of the three-host pillar
(controller, compute1 = gateway, compute2), all on this machine, started by
pytest-salt-factories. The master serves the project's salt/ tree, its
runners, and a copy of its pillar/ tree holding the three-host pillar.
"""

import pytest

from tests.support.pillars import REPO, hosts_of, write_pillar_root

HOSTS = sorted(hosts_of("three_hosts"))


@pytest.fixture(scope="package")
def pillar_root(tmp_path_factory):
    # No secrets: the orchestration's first stage generates them.
    return write_pillar_root(
        tmp_path_factory.mktemp("pillar") / "pillar", "three_hosts", secrets=False
    )


@pytest.fixture(scope="package")
def master(salt_factories, pillar_root):
    overrides = {
        "file_roots": {"base": [str(REPO / "salt")]},
        "pillar_roots": {"base": [str(pillar_root)]},
        "runner_dirs": [str(REPO / "_runners")],
        "pillar_source_merging_strategy": "recurse",
        "pillar_merge_lists": False,
        "state_output": "mixed",
    }
    factory = salt_factories.salt_master_daemon("master", overrides=overrides)
    with factory.started():
        yield factory


@pytest.fixture(scope="package")
def minions(master):
    factories = [master.salt_minion_daemon(host) for host in HOSTS]
    for factory in factories:
        factory.start()
    try:
        yield factories
    finally:
        for factory in factories:
            factory.terminate()


@pytest.fixture(scope="package")
def salt_run(master, minions):
    return master.salt_run_cli(timeout=600)


@pytest.fixture(scope="package")
def hosts():
    """The minion ids, sorted: the hosts of the three-host pillar."""
    return HOSTS


@pytest.fixture(scope="package")
def secrets(master, salt_run, pillar_root):
    """The generated secrets file, generated once (by `salt-run openstack.secrets`)
    for the tests that need secrets to exist, whichever of them runs first. The
    minions' in-memory pillar (what `pillar.keys` reads) is refreshed to hold them."""
    ret = salt_run.run("openstack.secrets")
    assert ret.returncode == 0, ret.stdout
    path = pillar_root / "secrets" / "generated.sls"
    assert path.is_file(), ret.stdout
    ret = master.salt_cli(timeout=120).run("saltutil.refresh_pillar", "wait=True", minion_tgt="*")
    assert ret.returncode == 0 and sorted(ret.data) == HOSTS, ret.stdout
    assert all(ret.data.values()), ret.stdout
    return path
