"""
The audit on a real salt-master (no minions needed for these): the
orchestration `openstack.audit` renders there, with the master's own grains
and pillar (no secrets: the master is not in the host map; no lab), into
its steps; and the job cache check, run by `salt-run` the way the
orchestration's last step runs it, loads the shared code from the master's
utils_dirs and finds no secret in the cache this master has written.
"""

import pytest

from tests.support.master import master_overrides
from tests.support.pillars import hosts_of, write_pillar_root


@pytest.fixture(scope="module")
def master(salt_factories, tmp_path_factory):
    pillar_root = write_pillar_root(tmp_path_factory.mktemp("pillar") / "pillar", "guide")
    factory = salt_factories.salt_master_daemon(
        "audit-master", overrides=master_overrides(pillar_root)
    )
    with factory.started():
        yield factory


def test_the_orchestration_renders_on_the_master(master):
    ret = master.salt_run_cli(timeout=300).run("state.orch_show_sls", "openstack.audit")
    assert ret.returncode == 0, ret.stdout
    (chunks,) = ret.data.values()
    assert sorted(chunks) == sorted(
        f"openstack-audit-{step}"
        for step in ("sync", "hosts", "denied", "passwords", "outsider", "public", "jobcache")
    ), chunks

    def args(sid):
        body = next(v for k, v in chunks[sid].items() if not k.startswith("__"))
        return {k: v for item in body if isinstance(item, dict) for k, v in item.items()}

    hosts = args("openstack-audit-hosts")
    assert hosts["tgt"] == ",".join(sorted(hosts_of("guide")))
    assert sorted(hosts["pillar"]["audit"]["served_by"]) == sorted(hosts_of("guide"))
    # not the lab: the master's pillar has no lab key
    assert "test" in chunks["openstack-audit-public"]
    assert args("openstack-audit-jobcache")["name"] == "openstack.audit_jobcache"


def test_the_job_cache_check_on_the_master(master):
    cli = master.salt_run_cli(timeout=300)
    cli.run("test.arg", "a", "b")  # a job of its own in the cache
    ret = cli.run("openstack.audit_jobcache")
    assert ret.returncode == 0, ret.stdout
    assert ret.data["result"] is True and ret.data["check"] == "PASS", ret.data
    assert "no secret in clear in " in ret.data["comment"]
