"""
`salt-run state.orchestrate openstack test=True` on a real master with a
minion per host: every stage that exists runs, each result True or None;
with a broken pillar the orchestration stops at the validation stage and no
host is touched.
"""

import yaml
from cryptography import x509

STAGES = [
    "openstack-stage-1-secrets",
    "openstack-stage-1-validate",
    "openstack-stage-2-sync",
    "openstack-stage-3-gateway-nat",
    "openstack-stage-3-gateway-routes",
    "openstack-stage-4-common",
]
# Every step of the orchestration in order, with the hosts it targets
# (three-host pillar: compute1 is the gateway).
ALL = "compute1,compute2,controller"
ORDER = [
    ("openstack-stage-1-secrets", None),
    ("openstack-stage-1-validate", None),
    ("openstack-stage-2-sync", ALL),
    ("openstack-stage-3-gateway-nat", "compute1"),
    ("openstack-stage-3-gateway-routes", "compute2,controller"),
    ("openstack-stage-4-common", ALL),
    ("openstack-stage-5-glusterfs-servers", ALL),
    ("openstack-stage-5-glusterfs-bricks", "compute1,compute2"),
    ("openstack-stage-5-glusterfs-volume", "controller"),
    ("openstack-stage-5-glusterfs-mounts", ALL),
    ("openstack-stage-6-kvm", "compute1,compute2"),
    ("openstack-stage-6-kvm-migration-mine", "compute1,compute2"),
    ("openstack-stage-6-kvm-migration", "compute1,compute2"),
    ("openstack-stage-7-controller", "controller"),
    ("openstack-stage-8-compute", "compute1,compute2"),
    ("openstack-stage-9-gateway-services", "compute1"),
    ("openstack-stage-10-post-deploy", "controller"),
]


def stage_results(ret):
    """{state id: result} of an orchestration's return data."""
    data = ret.data
    if isinstance(data, dict) and "data" in data:
        data = data["data"]
    (master_data,) = data.values()
    return {chunk["__id__"]: chunk for chunk in master_data.values() if isinstance(chunk, dict)}


def test_stage_order_and_targets(salt_run):
    """The orchestration's steps, in the order they run, each targeting the
    hosts of its role; each requires the step before it."""
    ret = salt_run.run("state.orch_show_sls", "openstack")
    assert ret.returncode == 0, ret.stdout
    (chunks,) = ret.data.values()

    def arg(body, key):
        for item in next(v for k, v in body.items() if not k.startswith("__")):
            if isinstance(item, dict) and key in item:
                return item[key]
        return None

    ordered = sorted(chunks, key=lambda sid: arg(chunks[sid], "order"))
    assert "openstack-stage-1-secrets" in chunks
    expected = ORDER
    published = salt_run.run("mine.get", "compute1,compute2", "openstack_ssh_host_keys", "list")
    if sorted(published.data) == ["compute1", "compute2"]:
        # both hosts' SSH host keys are in the mine already: no nudge needed
        expected = [step for step in ORDER if step[0] != "openstack-stage-6-kvm-migration-mine"]
    assert [(sid, arg(chunks[sid], "tgt")) for sid in ordered] == expected
    for previous, sid in zip(ordered, ordered[1:], strict=False):
        assert arg(chunks[sid], "require") == [previous], sid
    # every step that targets hosts waits for slow ones (stages.yaml step_timeout)
    for sid in ordered[2:]:
        assert arg(chunks[sid], "timeout") == 120, sid


def test_first_stages_run_in_test_mode(salt_run, pillar_root, hosts):
    """validate, sync, gateway and common under test=True on the real
    minions: each result True or None. (The later stages plan against packages an earlier
    stage would install; they are checked for real in the lab.)"""
    secrets = pillar_root / "secrets" / "generated.sls"
    before = secrets.read_text() if secrets.exists() else None
    have = set(yaml.safe_load(before)["openstack"]["secrets"]) if before else set()
    ret = salt_run.run(
        "state.orchestrate", "openstack", "test=True", 'pillar={"stop_after": "common"}'
    )
    assert ret.returncode == 0, ret.stdout
    stages = stage_results(ret)
    assert sorted(stages) == STAGES
    for state_id, chunk in stages.items():
        assert chunk["result"] in (True, None), (state_id, chunk)
    assert "the pillar is valid (3 hosts)" in stages["openstack-stage-1-validate"]["name"]
    # The common stage reached every host and planned its states there.
    common = stages["openstack-stage-4-common"]["changes"]["ret"]
    assert sorted(common) == hosts
    for host, states in common.items():
        planned = {s["__id__"]: s["result"] for s in states.values()}
        assert {f"common-hosts-{h}" for h in hosts} <= set(planned), host
        assert "common-time-service" in planned, host
        assert all(r in (True, None) for r in planned.values()), (host, planned)
    # Nothing was written: the secrets that would be generated are listed.
    assert (secrets.read_text() if secrets.exists() else None) == before
    comment = stages["openstack-stage-1-secrets"]["comment"]
    assert comment.startswith("would generate: "), comment
    listed = set(comment.removeprefix("would generate: ").split(", ")) - {"nothing"}
    assert "admin_password" in listed | have
    assert not listed & have


def test_stage_one_generates_the_secrets(salt_run, pillar_root):
    """The real run's stage 1 writes the missing secrets into the
    (git-ignored) pillar file, 0600, and touches no host."""
    ret = salt_run.run("state.orchestrate", "openstack", 'pillar={"stop_after": "validate"}')
    assert ret.returncode == 0, ret.stdout
    assert sorted(stage_results(ret)) == ["openstack-stage-1-secrets", "openstack-stage-1-validate"]
    secrets = pillar_root / "secrets" / "generated.sls"
    assert secrets.stat().st_mode & 0o777 == 0o600
    generated = yaml.safe_load(secrets.read_text())["openstack"]["secrets"]
    assert len(generated["admin_password"]) >= 32


def test_secrets_are_kept(salt_run, secrets):
    """A second `openstack.secrets` generates none and leaves the file as it was."""
    before = secrets.read_text()
    ret = salt_run.run("openstack.secrets")
    assert ret.returncode == 0
    assert ret.data["generated"] == []
    assert secrets.read_text() == before


def test_secrets_reach_only_the_host_map(master, minions, salt_run, secrets):
    cli = master.salt_cli(timeout=120)
    ret = cli.run("pillar.keys", "openstack:secrets", minion_tgt="compute2")
    assert {"nova_db_password", "admin_password", "rabbitmq_password"} <= set(ret.data)
    # Salt masks them in its own output too.
    ret = cli.run("pillar.get", "openstack:secrets:nova_db_password", minion_tgt="compute2")
    assert set(ret.data) == {"*"}
    # The master's own pillar (a minion outside the host map) has none.
    ret = salt_run.run("pillar.show_pillar")
    assert "secrets" not in ret.data.get("openstack", {})


def test_each_hosts_certificate_reaches_only_that_host(master, minions, salt_run, secrets):
    """openstack.secrets' per-host files (pillar/secrets/hosts/<host>.sls:
    the CA certificate, the host's certificate and key, the gateway's
    public ones) reach that minion alone, as the minions themselves see
    them (tests/unit/runners/test_openstack_tls.py checks the keys)."""
    cli = master.salt_cli(timeout=120)
    ca = salt_run.run("openstack.ca")
    assert ca.returncode == 0 and "PRIVATE" not in ca.stdout
    for host in ("compute1", "compute2", "controller"):
        ret = cli.run("pillar.keys", "openstack:tls", minion_tgt=host)
        gateway = {"public"} if host == "compute1" else set()
        assert set(ret.data) == {"ca_cert", "host", *gateway}, (host, ret.data)
        ret = cli.run("pillar.get", "openstack:tls", "unmask=True", minion_tgt=host)
        tls = ret.data
        assert tls["ca_cert"].strip() in ca.stdout.replace("\\n", "\n"), host
        cert = x509.load_pem_x509_certificate(tls["host"]["cert"].encode())
        assert cert.subject.rfc4514_string() == f"CN={host}"
        assert tls["host"]["key"].startswith("-----BEGIN PRIVATE KEY-----"), host
    ret = salt_run.run("pillar.show_pillar")
    assert "tls" not in ret.data.get("openstack", {})


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
    assert sorted(stage_results(ret)) == STAGES[:3]


def test_an_unknown_stage_name_stops_at_stage_one(salt_run):
    """A typo in stop_after (or only) does not run every stage: the run
    stops at stage 1 and lists the names there are (salt/stages.yaml)."""
    for pillar in ('{"stop_after": "glusterf"}', '{"only": "kvm,computes"}'):
        ret = salt_run.run("state.orchestrate", "openstack", "test=True", f"pillar={pillar}")
        assert ret.returncode != 0, pillar
        stages = stage_results(ret)
        assert sorted(stages) == ["openstack-stage-1-validate"], pillar
        name = stages["openstack-stage-1-validate"]["name"]
        assert "is not a stage; the stages are validate, sync, gateway, common" in name, name
        assert ("'glusterf'" in name) or ("'computes'" in name), name


def test_only_one_stage(salt_run):
    """only=<stage> plans stage 1 and that stage, nothing before or after."""
    ret = salt_run.run("state.orchestrate", "openstack", "test=True", 'pillar={"only": "gateway"}')
    assert ret.returncode == 0, ret.stdout
    assert sorted(stage_results(ret)) == [
        "openstack-stage-1-secrets",
        "openstack-stage-1-validate",
        "openstack-stage-3-gateway-nat",
        "openstack-stage-3-gateway-routes",
    ]
