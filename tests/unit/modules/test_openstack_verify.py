"""
The openstack_verify execution module over output captured from the real
`openstack ... -f json` of the lab's cloud (tests/unit/openstack_json: Debian
12, OpenStack Zed; the token id redacted). The fake `cmd.run_all` answers by
command line and records what ran and with which environment, so the tests
also see that the password travels in the environment only.
"""

import copy
import json

import pytest
from salt.exceptions import CommandExecutionError

from tests.support.paths import OPENSTACK_JSON as CAPTURES

COMPUTES = ["compute1", "compute2", "compute3", "compute4"]
AGENTS = {
    "Linux bridge agent": COMPUTES,
    "DHCP agent": ["compute1"],
    "Metadata agent": ["compute1"],
}


def capture(name):
    return json.loads((CAPTURES / f"{name}.json").read_text())


class FakeOpenstack:
    """`cmd.run_all` for `openstack <words> -f json`: the capture named by the
    words (`compute service list` -> compute_service_list.json) or an override."""

    def __init__(self):
        self.calls = []
        self.answers = {}

    def __call__(self, cmd, env=None, **kwargs):
        self.calls.append((cmd, env))
        words = [w for w in cmd[1:] if not w.startswith("-") and w != "json"]
        name = "_".join(words)
        if name in self.answers:
            answer = self.answers[name]
            if isinstance(answer, dict) and "retcode" in answer:
                return answer
        else:
            answer = capture(name)
        return {"retcode": 0, "stdout": json.dumps(answer), "stderr": ""}


@pytest.fixture
def openrc(tmp_path):
    path = tmp_path / "admin-openrc"
    path.write_text(
        "# Managed by Salt\n"
        "export OS_AUTH_URL=http://controller:5000/v3\n"
        "export OS_USERNAME=admin\n"
        "export OS_PASSWORD='s3cret value'\n"
        "export OS_PROJECT_NAME=admin\n"
    )
    return str(path)


@pytest.fixture
def fake():
    return FakeOpenstack()


@pytest.fixture
def verify(extension):
    return extension("_modules", "openstack_verify")


@pytest.fixture
def configure_loader_modules(verify, fake):
    return {verify: {"__salt__": {"cmd.run_all": fake}}}


def test_token_uses_the_openrc_in_the_environment_only(verify, fake, openrc):
    out = verify.token(openrc=openrc)
    assert out["result"] is True
    assert "user c217f7d5b62e4e1aaf6496e69c46bc5f" in out["comment"]
    cmd, env = fake.calls[0]
    assert cmd == ["openstack", "token", "issue", "-f", "json"]
    assert env["OS_PASSWORD"] == "s3cret value" and env["OS_USERNAME"] == "admin"
    assert not any("s3cret" in word for word in cmd)


def test_a_file_without_credentials_is_refused(verify, tmp_path):
    path = tmp_path / "openrc"
    path.write_text("export OS_USERNAME=admin\n")
    with pytest.raises(CommandExecutionError, match="sets no OS_AUTH_URL"):
        verify.token(openrc=str(path))
    with pytest.raises(CommandExecutionError, match="cannot read the credentials file"):
        verify.token(openrc=str(tmp_path / "missing"))


def test_users(verify, openrc):
    services = ["admin", "cinder", "glance", "neutron", "nova", "placement"]
    assert verify.users(services, openrc=openrc)["result"] is True
    out = verify.users([*services, "swift"], openrc=openrc)
    assert out["result"] is False and out["comment"].startswith("missing users: swift")


def test_images(verify, fake, openrc):
    assert verify.images(["testguest"], openrc=openrc)["result"] is True
    out = verify.images(["testguest", "cirros"], openrc=openrc)
    assert out["result"] is False and "cirros (missing)" in out["comment"]
    saving = copy.deepcopy(capture("image_list"))
    saving[0]["Status"] = "saving"
    fake.answers["image_list"] = saving
    assert "testguest (saving)" in verify.images(["testguest"], openrc=openrc)["comment"]


def test_compute_services(verify, fake, openrc):
    out = verify.compute_services(COMPUTES, openrc=openrc)
    assert out["result"] is True and "nova-compute@compute4" in out["comment"]
    out = verify.compute_services([*COMPUTES, "compute5"], openrc=openrc)
    assert out["result"] is False and "no nova-compute up on: compute5" in out["comment"]
    down = copy.deepcopy(capture("compute_service_list"))
    for svc in down:
        if svc["Host"] == "compute3":
            svc["State"] = "down"
    fake.answers["compute_service_list"] = down
    out = verify.compute_services(COMPUTES, openrc=openrc)
    assert out["result"] is False
    assert "not up: nova-compute@compute3 (enabled, down)" in out["comment"]
    assert "no nova-compute up on: compute3" in out["comment"]


def test_network_agents(verify, fake, openrc):
    assert verify.network_agents(AGENTS, openrc=openrc)["result"] is True
    out = verify.network_agents({"L3 agent": ["compute1"]}, openrc=openrc)
    assert out["result"] is False and out["comment"] == "missing: L3 agent on compute1"
    dead = copy.deepcopy(capture("network_agent_list"))
    dead[0]["Alive"] = False
    fake.answers["network_agent_list"] = dead
    out = verify.network_agents(AGENTS, openrc=openrc)
    assert out["result"] is False
    assert f"not alive: {dead[0]['Agent Type']} on {dead[0]['Host']}" in out["comment"]


def test_volume_is_skipped_without_a_volume_service(verify, fake, openrc):
    out = verify.volume(openrc=openrc)
    assert out["result"] is None and "no cinder-volume service is up" in out["comment"]
    # nothing was created
    assert [cmd[1:3] for cmd, _ in fake.calls] == [["volume", "service"]]


def test_client_errors_carry_the_clients_message(verify, fake, openrc):
    fake.answers["user_list"] = {
        "retcode": 1,
        "stdout": "",
        "stderr": "Failed to discover available identity versions",
    }
    with pytest.raises(CommandExecutionError, match="openstack user list: Failed to discover"):
        verify.users(["admin"], openrc=openrc)


def test_microversion_warnings_do_not_hide_the_message(verify, fake, openrc):
    """Lab-found (trixie's client 7.4): its warning for a microversion its
    table predates came first, and the boot's real failure was cut off."""
    fake.answers["user_list"] = {
        "retcode": 1,
        "stdout": "",
        "stderr": "compute version 2.74 is not in supported versions: 2, 2.1\n"
        "Error creating server: verify-server\n",
    }
    with pytest.raises(CommandExecutionError) as caught:
        verify.users(["admin"], openrc=openrc)
    assert str(caught.value) == "openstack user list: Error creating server: verify-server"


def test_cleanup_without_leftovers_deletes_nothing(verify, fake, openrc):
    out = verify.cleanup(openrc=openrc)
    assert out == {"result": True, "comment": "deleted: nothing", "data": {}}
    assert not any("delete" in cmd for cmd, _ in fake.calls)


@pytest.mark.parametrize(
    "addresses,expected",
    [
        ({"provider": ["10.0.0.185"]}, "10.0.0.185"),
        ({"provider": ["fd00::5", "10.0.0.7"]}, "10.0.0.7"),
        ("provider=10.0.0.9", "10.0.0.9"),
        ({"other": ["10.1.0.2"]}, None),
    ],
)
def test_address_on_a_network(verify, addresses, expected):
    assert verify._address({"addresses": addresses}, "provider") == expected  # noqa: SLF001
