"""
The keystone state module where it needs no Keystone: the shape of
keystone-init's data, and the refusals (masked) that come before any request.
Everything that talks to Keystone is tested against a real one in
tests/functional/states/test_keystone.py.
"""

import pytest

PROFILE = {
    "auth_url": "http://controller:5000/v3",
    "username": "admin",
    "password": "admin-pw",
    "project_name": "admin",
}


@pytest.fixture
def state(extension):
    return extension("_states", "keystone")


@pytest.fixture
def configure_loader_modules(state):
    # None: calling any of these would raise TypeError, so a test passes only
    # if the state refuses before it asks Keystone anything.
    salt = {f"keystone.{f}": None for f in ("project_get", "service_get", "user_get")}
    return {state: {"__salt__": salt, "__opts__": {"test": False}}}


def test_virtual(state, monkeypatch):
    assert state.__virtual__() == "keystone"
    monkeypatch.delitem(state.__salt__, "keystone.project_get")
    loaded, reason = state.__virtual__()
    assert loaded is False
    assert "keystone execution module" in reason


@pytest.mark.parametrize(
    ("run", "comment"),
    [
        (
            lambda s: s.project_present("service", profile=PROFILE, os_username="a", pasword="x"),
            "Unexpected argument 'pasword'",
        ),
        (
            lambda s: s.endpoint_present("nova", "http://c:8774", "private", profile=PROFILE),
            "Endpoint interface 'private': one of public, internal, admin",
        ),
        (
            lambda s: s.user_present("glance", roles=["admin"], profile=PROFILE),
            "User 'glance': roles are granted on a project; none given",
        ),
        (
            lambda s: s.user_present("glance", project="service", roles=[1], profile=PROFILE),
            "roles: a list of names",
        ),
    ],
)
def test_refused_before_any_request(state, run, comment):
    ret = run(state)
    assert ret["result"] is False
    assert ret["comment"] == comment
    assert ret["changes"] == {}


def test_plan_from_keystone_init_data(state):
    steps = state._plan(
        projects={"service": {"description": "Service Project"}},
        roles=["admin", {"name": "member"}],
        users={"glance": {"password": "g", "project": "service", "roles": ["admin"]}},
        services=[
            {
                "name": "nova",
                "type": "compute",
                "publicurl": "http://controller:8774/v2.1",
                "endpoints": {"internal": "http://controller:8774/v2.1"},
            },
            {"name": "swift", "type": "object-store", "region": "RegionTwo"},
        ],
        region="RegionOne",
        domain="default",
    )
    assert [(kind, label) for kind, label, _, _ in steps] == [
        ("role", "admin"),
        ("role", "member"),
        ("project", "service"),
        ("user", "glance"),
        ("region", "RegionOne"),
        ("region", "RegionTwo"),
        ("service", "nova"),
        ("service", "swift"),
        ("endpoint", "nova public RegionOne"),
        ("endpoint", "nova internal RegionOne"),
    ]
    assert steps[3][3] == {
        "domain": "default",
        "name": "glance",
        "password": "g",
        "project": "service",
        "roles": ["admin"],
    }
    assert steps[8][3] == {
        "name": "nova",
        "service_type": "compute",
        "interface": "public",
        "url": "http://controller:8774/v2.1",
        "region": "RegionOne",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"users": [{"password": "p"}]}, "users: every item needs a name"),
        ({"users": "glance"}, "users: a list, or a dictionary by name"),
        ({"services": [{"name": "nova"}]}, "service 'nova': its type is missing"),
        ({"projects": [{"name": "service", "descripton": "x"}]}, "unknown keys descripton"),
        (
            {"services": [{"name": "nova", "type": "compute", "endpoints": {"private": "x"}}]},
            "endpoint interfaces are public, internal, admin, not private",
        ),
    ],
)
def test_bootstrapped_refuses_malformed_data(state, data, message):
    ret = state.bootstrapped("keystone-init", profile=PROFILE, **data)
    assert ret["result"] is False
    assert message in ret["comment"]
    assert ret["changes"] == {}


def test_bootstrapped_masks_passwords_in_refusals(state):
    ret = state.bootstrapped(
        "keystone-init",
        profile=PROFILE,
        users={"glance": {"password": "g-pw", "rolse": ["x"]}},
    )
    assert ret["result"] is False
    assert ret["comment"] == "users 'glance': unknown keys rolse"
    ret = state.bootstrapped(
        "keystone-init",
        profile=PROFILE,
        users=[{"name": "g-pw-is-a-bad-name", "password": "g-pw", "pasword": "g-pw"}],
    )
    assert ret["result"] is False
    assert "g-pw" not in repr(ret)
    assert ret["comment"] == "users '******-is-a-bad-name': unknown keys pasword"
