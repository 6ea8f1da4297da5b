"""
The keystone modules' parts that need no Keystone: credentials, URLs, masking,
the shape of keystone-init's data, and the refusals that come before any
request. Everything that talks to Keystone is tested against a real one in
tests/functional/test_keystone_functional.py.
"""

import pytest
from salt.exceptions import SaltInvocationError

PROFILE = {
    "auth_url": "http://controller:5000/v3",
    "username": "admin",
    "password": "admin-pw",
    "project_name": "admin",
}


@pytest.fixture
def keystone(extension):
    return extension("_modules", "keystone")


@pytest.fixture
def state(extension):
    return extension("_states", "keystone")


@pytest.fixture
def config():
    return {"openstack:keystone:auth": dict(PROFILE, region_name="RegionOne")}


@pytest.fixture
def configure_loader_modules(keystone, state, config):
    return {
        keystone: {"__salt__": {"config.get": lambda key, default=None: config.get(key, default)}},
        state: {"__salt__": {"keystone.project_get": None}, "__opts__": {"test": False}},
    }


@pytest.mark.parametrize(
    ("auth_url", "identity"),
    [
        ("http://controller:5000/v3", "http://controller:5000/v3"),
        ("http://controller:5000/v3/", "http://controller:5000/v3"),
        ("http://controller:5000/v2.0/", "http://controller:5000/v3"),  # the guide's
        ("http://controller:5000", "http://controller:5000/v3"),
        ("https://keystone.example/identity", "https://keystone.example/identity/v3"),
    ],
)
def test_identity_url(keystone, auth_url, identity):
    assert keystone._identity_url(auth_url) == identity


def test_virtual(keystone, state, monkeypatch):
    assert keystone.__virtual__() == "keystone"
    monkeypatch.setattr(keystone, "HAS_KEYSTONEAUTH", False)
    loaded, reason = keystone.__virtual__()
    assert loaded is False
    assert "keystoneauth1" in reason
    assert state.__virtual__() == "keystone"


def test_auth_from_profile_and_os_arguments(keystone):
    settings = keystone._auth_settings(PROFILE, {"os_password": "other", "__pub_fun": "x"})
    assert settings == dict(PROFILE, password="other")
    # A profile named by its config/pillar key; region_name is accepted, unused.
    assert keystone._auth_settings("openstack:keystone:auth", {}) == PROFILE
    # os_* arguments alone
    os_args = {f"os_{key}": value for key, value in PROFILE.items()}
    assert keystone._auth_settings(None, os_args) == PROFILE


@pytest.mark.parametrize(
    ("profile", "kwargs", "message"),
    [
        (None, {}, "missing auth_url, username, password, project_name"),
        ({"auth_url": "http://c:5000"}, {}, "missing username, password, project_name"),
        (dict(PROFILE, pasword="x"), {}, "unknown keys pasword"),
        (PROFILE, {"password": "x"}, "Unexpected argument 'password'"),
        ("no:such:key", {}, "'no:such:key': no such dictionary"),
        (["admin"], {}, "a dictionary or the name of one"),
    ],
)
def test_auth_refusals(keystone, profile, kwargs, message):
    with pytest.raises(SaltInvocationError, match=message):
        keystone._auth_settings(profile, kwargs)


def test_interface_refused_before_any_request(keystone):
    with pytest.raises(SaltInvocationError, match="'private': one of public, internal, admin"):
        keystone.endpoint_get("nova", "private", profile=PROFILE)


def test_scrub(keystone, state):
    text = "Invalid input for field 'password': 's3cret' is too short"
    assert keystone._scrub(text, ["s3cret", None]) == (
        "Invalid input for field 'password': '******' is too short"
    )
    assert state._scrub(text, ["s3cret"]) == keystone._scrub(text, ["s3cret"])


def test_state_refuses_unexpected_argument_before_any_request(state):
    # __salt__["keystone.project_get"] is None here: calling it would raise TypeError.
    ret = state.project_present("service", profile=PROFILE, os_username="admin", pasword="x")
    assert ret == {
        "name": "service",
        "result": False,
        "comment": "Unexpected argument 'pasword'",
        "changes": {},
    }


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
    ],
)
def test_bootstrapped_refuses_malformed_data(state, data, message):
    ret = state.bootstrapped("keystone-init", profile=PROFILE, **data)
    assert ret["result"] is False
    assert message in ret["comment"]
    assert ret["changes"] == {}


def test_bootstrapped_masks_passwords_in_refusals(state):
    ret = state.bootstrapped(
        "keystone-init", profile=PROFILE, users={"glance": {"password": "g-pw", "rolse": ["x"]}}
    )
    assert ret["result"] is False
    assert "g-pw" not in repr(ret)
