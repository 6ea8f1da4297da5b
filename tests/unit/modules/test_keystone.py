"""
The keystone execution module where it needs no Keystone: when it loads, how
it finds its credentials, and the refusals that come before any request. The
client it uses is tested in tests/unit/utils/test_keystone_api.py; everything
that talks to Keystone, against a real one in tests/functional.
"""

import pytest
from salt.exceptions import SaltInvocationError

PROFILE = {
    "auth_url": "http://controller:5000/v2.0",
    "username": "admin",
    "password": "admin-pw",
    "project_name": "admin",
}


@pytest.fixture
def keystone(extension):
    return extension("_modules", "keystone")


@pytest.fixture
def config():
    return {"openstack:keystone:auth": dict(PROFILE, region_name="RegionOne")}


@pytest.fixture
def configure_loader_modules(keystone, config):
    return {
        keystone: {
            "__salt__": {"config.get": lambda key, default=None: config.get(key, default)},
            "__context__": {},
        },
    }


def test_virtual(keystone, monkeypatch):
    assert keystone.__virtual__() == "keystone"
    monkeypatch.setattr(keystone.keystone_api, "HAS_KEYSTONEAUTH", False)
    loaded, reason = keystone.__virtual__()
    assert loaded is False
    assert "keystoneauth1" in reason
    # _utils not synced: the reason says so.
    monkeypatch.setattr(keystone, "keystone_api", None)
    loaded, reason = keystone.__virtual__()
    assert loaded is False
    assert "keystone_api from the project's _utils" in reason


def test_profile_by_name_and_one_client_per_credentials(keystone):
    client = keystone._client("openstack:keystone:auth", {})
    assert client.url == "http://controller:5000/v3"
    assert keystone._client(dict(PROFILE), {"__pub_fun": "keystone.role_get"}) is client
    assert keystone._client("openstack:keystone:auth", {"os_password": "other"}) is not client


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda k: k.endpoint_get("nova", "private", profile=PROFILE),
            "'private': one of public, internal, admin",
        ),
        (
            lambda k: k.endpoint_list(interface="private", profile=PROFILE),
            "'private': one of public, internal, admin",
        ),
        (
            lambda k: k.project_get("service", profile=PROFILE, password="x"),
            "Unexpected argument 'password'",
        ),
        (lambda k: k.role_list(), "missing auth_url, username, password, project_name"),
        (lambda k: k.region_list(profile="no:such:key"), "'no:such:key': no such dictionary"),
    ],
)
def test_refused_before_any_request(keystone, call, message):
    # A request would raise CommandExecutionError (or hang on controller:5000).
    with pytest.raises(SaltInvocationError, match=message):
        call(keystone)
