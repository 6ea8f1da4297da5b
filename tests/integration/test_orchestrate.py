"""
`salt-run state.orchestrate openstack test=True` on a real master with a
minion per host: every stage that exists runs, each result True or None;
with a broken pillar the orchestration stops at the validation stage and no
host is touched.
"""

import yaml
from conftest import HOSTS

STAGES = ["openstack-stage-1-validate", "openstack-stage-2-sync", "openstack-stage-3-common"]


def stage_results(ret):
    """{state id: result} of an orchestration's return data."""
    data = ret.data
    if isinstance(data, dict) and "data" in data:
        data = data["data"]
    (master_data,) = data.values()
    return {chunk["__id__"]: chunk for chunk in master_data.values() if isinstance(chunk, dict)}


def test_every_stage_runs_in_test_mode(salt_run, pillar_root):
    ret = salt_run.run("state.orchestrate", "openstack", "test=True")
    assert ret.returncode == 0, ret.stdout
    stages = stage_results(ret)
    assert sorted(stages) == STAGES
    for state_id, chunk in stages.items():
        assert chunk["result"] in (True, None), (state_id, chunk)
    assert "the pillar is valid (3 hosts)" in stages["openstack-stage-1-validate"]["name"]
    # The common stage reached every host and planned its states there.
    common = stages["openstack-stage-3-common"]["changes"]["ret"]
    assert sorted(common) == HOSTS
    for host, states in common.items():
        planned = {s["__id__"]: s["result"] for s in states.values()}
        assert {f"common-hosts-{h}" for h in HOSTS} <= set(planned), host
        assert "common-time-service" in planned, host
        assert all(r in (True, None) for r in planned.values()), (host, planned)
    # Stage 1 generated the secrets into the (git-ignored) pillar file, 0600.
    secrets = pillar_root / "secrets" / "generated.sls"
    assert secrets.stat().st_mode & 0o777 == 0o600
    generated = yaml.safe_load(secrets.read_text())["openstack"]["secrets"]
    assert len(generated["admin_password"]) >= 32


def test_secrets_are_kept(salt_run, pillar_root):
    before = (pillar_root / "secrets" / "generated.sls").read_text()
    ret = salt_run.run("openstack.secrets")
    assert ret.returncode == 0
    assert ret.data["generated"] == []
    assert (pillar_root / "secrets" / "generated.sls").read_text() == before


def test_secrets_reach_only_the_host_map(master, minions, salt_run):
    cli = master.salt_cli(timeout=120)
    ret = cli.run("pillar.keys", "openstack:secrets", minion_tgt="compute2")
    assert {"nova_db_password", "admin_password", "rabbitmq_password"} <= set(ret.data)
    # Salt masks them in its own output too.
    ret = cli.run("pillar.get", "openstack:secrets:nova_db_password", minion_tgt="compute2")
    assert set(ret.data) == {"*"}
    # The master's own pillar (a minion outside the host map) has none.
    ret = salt_run.run("pillar.show_pillar")
    assert "secrets" not in ret.data.get("openstack", {})


def test_bad_pillar_stops_at_validation(salt_run, pillar_root):
    local = pillar_root / "local.sls"
    local.write_text(
        yaml.safe_dump(
            {
                "openstack": {
                    "storage": {"replica": 3},
                    "hosts": {"compute2": {"ip": "192.168.7.2", "roles": ["compute", "nas"]}},
                }
            }
        )
    )
    try:
        ret = salt_run.run("openstack.validate")
        assert ret.returncode != 0
        problems = ret.data["problems"]
        assert any(p.startswith("openstack:storage:replica: replica 3 is larger") for p in problems)
        assert any("192.168.7.2 is outside the LAN" in p for p in problems)
        assert any("unknown role 'nas'" in p for p in problems)

        ret = salt_run.run("state.orchestrate", "openstack")
        assert ret.returncode != 0
        stages = stage_results(ret)
        assert sorted(stages) == ["openstack-stage-1-validate"]
        assert stages["openstack-stage-1-validate"]["result"] is False
        assert "unknown role 'nas'" in stages["openstack-stage-1-validate"]["name"]
    finally:
        local.unlink()


def test_stop_after_a_stage(salt_run):
    ret = salt_run.run(
        "state.orchestrate", "openstack", "test=True", 'pillar={"stop_after": "sync"}'
    )
    assert ret.returncode == 0, ret.stdout
    assert sorted(stage_results(ret)) == STAGES[:2]
