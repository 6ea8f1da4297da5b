"""
The keystone state module against a real Keystone (Zed) started on 127.0.0.1
for this file (tests/support/keystone_server.py), with keystone-init's data as
the project's pillar holds it: a dry run creates nothing, a run creates it
all, a second run changes nothing, a changed password or endpoint URL is
changed and nothing else, and no password is ever shown.

Each test first brings Keystone to the state it starts from (by applying the
data), or has a Keystone of its own, so each passes alone and in any order.
Keystone is checked independently of the modules under test, with
keystoneauth1 directly (tokens, the catalog). ``loaders`` (the modules,
straight from _modules/_states/_utils) is conftest's.
"""

import logging

import pytest
from keystoneauth1 import exceptions as ks_exceptions

from tests.support import keystone_server

GLANCE_PASSWORD = "glance-pw-0a1b2c"
NOVA_PASSWORD = "nova-pw-3d4e5f"
NEW_NOVA_PASSWORD = "nova-pw-changed-6a7b"
COMPUTE_URL = "http://controller:8774/v2.1"
# The service types keystone-init's data registers (other tests add others).
INIT_TYPES = ("identity", "image", "compute")


def keystone_init(auth_url, nova_password=NOVA_PASSWORD, compute_url=COMPUTE_URL):
    """keystone-init's data as the project's pillar holds it."""
    return {
        "region": keystone_server.REGION,
        "projects": [{"name": "service", "description": "Service Project"}],
        "roles": ["admin", "member"],
        "users": [
            {
                "name": "glance",
                "password": GLANCE_PASSWORD,
                "project": "service",
                "roles": ["admin"],
            },
            {"name": "nova", "password": nova_password, "project": "service", "roles": ["admin"]},
        ],
        "services": [
            {
                "name": "keystone",
                "type": "identity",
                "description": "OpenStack Identity",
                "endpoints": {"public": auth_url, "internal": auth_url, "admin": auth_url},
            },
            {
                "name": "glance",
                "type": "image",
                "description": "OpenStack Image",
                "endpoints": {
                    "public": "http://controller:9292",
                    "internal": "http://controller:9292",
                    "admin": "http://controller:9292",
                },
            },
            {
                "name": "nova",
                "type": "compute",
                "description": "OpenStack Compute",
                "endpoints": {
                    "public": compute_url,
                    "internal": compute_url,
                    "admin": compute_url,
                },
            },
        ],
    }


@pytest.fixture(scope="module")
def keystone(tmp_path_factory, request):
    """The Keystone the tests of this file share."""
    # Salt's loaders are built while Keystone starts.
    meanwhile = lambda: request.getfixturevalue("loaders")  # noqa: E731
    with keystone_server.for_tests(tmp_path_factory, meanwhile=meanwhile) as server:
        yield server


@pytest.fixture
def pristine(tmp_path_factory, loaders):
    """A Keystone of the test's own, as ``keystone-manage bootstrap`` leaves it."""
    with keystone_server.for_tests(tmp_path_factory) as server:
        yield server


@pytest.fixture(scope="module")
def module(loaders):
    return loaders.modules.keystone


@pytest.fixture(scope="module")
def states(loaders):
    return loaders.states.keystone


def apply(states, keystone, test=False, **changes):
    """Run keystone.bootstrapped with keystone-init's data (``changes``: its arguments)."""
    data = keystone_init(keystone.auth_url, **changes)
    return states.bootstrapped(name="keystone-init", profile=keystone.profile, test=test, **data)


def assert_secret_free(ret, *secrets):
    text = repr(ret.raw if hasattr(ret, "raw") else ret)
    for secret in secrets:
        assert secret not in text


def init_urls(keystone):
    """The catalog's URLs of keystone-init's services."""
    return {key: url for key, url in keystone.endpoint_urls().items() if key[0] in INIT_TYPES}


def test_dry_run_creates_nothing_then_the_run_creates_all(pristine, module, states):
    keystone = pristine
    ret = apply(states, keystone, test=True)
    assert ret.result is None, ret.comment
    changes = ret.changes
    for key in (
        "project service",
        "user glance",
        "user nova",
        "region RegionOne",
        "service nova",
        "endpoint nova admin RegionOne",
    ):
        assert changes[key]["old"] is None, key
    assert changes["user nova"]["new"]["password"] == "******"
    # admin and member exist since keystone-manage bootstrap
    assert "role admin" not in changes
    assert "role member" not in changes
    assert_secret_free(ret, GLANCE_PASSWORD, NOVA_PASSWORD, keystone_server.ADMIN_PASSWORD)
    assert module.project_get("service", profile=keystone.profile) is None
    assert module.user_get("glance", profile=keystone.profile) is None
    assert module.service_list(profile=keystone.profile) == []
    assert module.endpoint_list(profile=keystone.profile) == []
    assert module.region_get(keystone_server.REGION, profile=keystone.profile) is None

    ret = apply(states, keystone)
    assert ret.result is True, ret.comment
    assert_secret_free(ret, GLANCE_PASSWORD, NOVA_PASSWORD, keystone_server.ADMIN_PASSWORD)
    assert ret.changes["user glance"]["new"]["project"] == "service"
    assert ret.changes["user glance roles"] == {"old": [], "new": ["admin"]}
    # Keystone's own view: service users get admin-scoped tokens in project
    # service, and the catalog has 3 services x 3 interfaces.
    for user, password in (("glance", GLANCE_PASSWORD), ("nova", NOVA_PASSWORD)):
        ref = keystone.token(user, password, "service")
        assert ref.project_name == "service"
        assert "admin" in ref.role_names
    urls = keystone.endpoint_urls()
    assert len(urls) == 9
    assert urls[("compute", "internal", "RegionOne")] == COMPUTE_URL
    assert urls[("image", "admin", "RegionOne")] == "http://controller:9292"
    assert urls[("identity", "public", "RegionOne")] == keystone.auth_url
    assert module.project_get("service", profile=keystone.profile)["description"] == (
        "Service Project"
    )
    services = {s["name"]: s["type"] for s in module.service_list(profile=keystone.profile)}
    assert services == {"keystone": "identity", "glance": "image", "nova": "compute"}
    # The identity endpoint just registered is usable as the module's auth_url.
    assert module.role_assignment_list(user="nova", profile=keystone.profile) == [
        {"user": "nova", "project": "service", "role": "admin"}
    ]


def test_second_run_changes_nothing(keystone, states):
    assert apply(states, keystone).result is True
    ret = apply(states, keystone)
    assert ret.result is True, ret.comment
    assert ret.changes == {}
    assert ret.comment.startswith("Keystone is as wanted")
    dry = apply(states, keystone, test=True)
    assert dry.result is True, dry.comment
    assert dry.changes == {}


def test_password_change(keystone, module, states):
    assert apply(states, keystone).result is True
    changed = {"nova_password": NEW_NOVA_PASSWORD}
    dry = apply(states, keystone, test=True, **changed)
    assert dry.result is None
    assert dry.changes == {"user nova password": {"old": "(differs)", "new": "******"}}
    keystone.token("nova", NOVA_PASSWORD)  # test=True changed nothing

    ret = apply(states, keystone, **changed)
    assert ret.result is True, ret.comment
    assert ret.changes == {"user nova password": {"old": "(differs)", "new": "******"}}
    assert_secret_free(ret, NOVA_PASSWORD, NEW_NOVA_PASSWORD, GLANCE_PASSWORD)
    with pytest.raises(ks_exceptions.Unauthorized):
        keystone.token("nova", NOVA_PASSWORD)
    assert "admin" in keystone.token("nova", NEW_NOVA_PASSWORD, "service").role_names
    assert module.user_verify_password("nova", NEW_NOVA_PASSWORD, profile=keystone.profile)
    assert not module.user_verify_password("nova", NOVA_PASSWORD, profile=keystone.profile)
    keystone.token("glance", GLANCE_PASSWORD)  # glance untouched
    assert apply(states, keystone, **changed).changes == {}


def test_endpoint_url_change(keystone, states):
    assert apply(states, keystone).result is True
    new_url = "http://controller.example:8774/v2.1"
    dry = apply(states, keystone, test=True, compute_url=new_url)
    assert dry.result is None
    assert init_urls(keystone)[("compute", "public", "RegionOne")] == COMPUTE_URL

    ret = apply(states, keystone, compute_url=new_url)
    assert ret.result is True, ret.comment
    assert ret.changes == {
        f"endpoint nova {interface} RegionOne url": {"old": COMPUTE_URL, "new": new_url}
        for interface in ("public", "internal", "admin")
    }
    urls = init_urls(keystone)
    assert len(urls) == 9  # updated in place, not added
    for interface in ("public", "internal", "admin"):
        assert urls[("compute", interface, "RegionOne")] == new_url
    assert urls[("image", "public", "RegionOne")] == "http://controller:9292"
    assert apply(states, keystone, compute_url=new_url).changes == {}


def test_individual_states(keystone, module, states):
    assert apply(states, keystone).result is True
    profile = keystone.profile
    ret = states.role_present(name="ResellerAdmin", profile=profile, test=True)
    assert ret.result is None
    assert module.role_get("ResellerAdmin", profile=profile) is None
    ret = states.role_present(name="ResellerAdmin", description="Swift resellers", profile=profile)
    assert ret.result is True
    assert ret.changes == {
        "role": {"old": None, "new": {"name": "ResellerAdmin", "description": "Swift resellers"}}
    }
    assert states.role_present(name="ResellerAdmin", profile=profile).changes == {}

    ret = states.project_present(name="service", description="Services", profile=profile)
    assert ret.changes == {"description": {"old": "Service Project", "new": "Services"}}

    ret = states.user_present(
        name="swift", password="swift-pw-1", project="service", email="swift@example.org",
        profile=profile,
    )  # fmt: skip
    assert ret.result is True, ret.comment
    assert_secret_free(ret, "swift-pw-1")
    ret = states.role_grant_present(
        name="ResellerAdmin", user="swift", project="service", profile=profile
    )
    assert ret.changes == {
        "grant": {
            "old": None,
            "new": {"user": "swift", "project": "service", "role": "ResellerAdmin"},
        }
    }
    assert "ResellerAdmin" in keystone.token("swift", "swift-pw-1", "service").role_names
    ret = states.role_grant_present(
        name="ResellerAdmin", user="swift", project="service", profile=profile
    )
    assert ret.result is True
    assert ret.changes == {}

    ret = states.user_present(name="swift", email="swift@example.com", profile=profile)
    assert ret.changes == {"email": {"old": "swift@example.org", "new": "swift@example.com"}}

    ret = states.endpoint_present(
        name="swift", url="http://controller:8080/v1", interface="internal", profile=profile
    )
    assert ret.result is False
    assert ret.comment == "Keystone: service 'swift' not found"

    ret = states.service_present(name="swift", service_type="object-store", profile=profile)
    assert ret.changes["service"]["new"] == {
        "name": "swift",
        "type": "object-store",
        "enabled": True,
    }
    ret = states.endpoint_present(
        name="swift",
        url="http://controller:8080/v1",
        interface="internal",
        region="RegionTwo",
        profile=profile,
    )
    assert ret.result is True, ret.comment
    assert ret.changes["region"] == {"old": None, "new": "RegionTwo"}
    assert ret.changes["endpoint"]["new"]["url"] == "http://controller:8080/v1"
    assert keystone.endpoint_urls()[("object-store", "internal", "RegionTwo")] == (
        "http://controller:8080/v1"
    )


def test_disabled_user_password_left_alone(keystone, states):
    profile = keystone.profile
    states.user_present(name="ec2", password="ec2-pw-1", enabled=False, profile=profile)
    ret = states.user_present(name="ec2", password="ec2-pw-2", enabled=False, profile=profile)
    assert ret.result is True
    assert ret.changes == {}
    assert "not checked" in ret.comment
    # Enabling it checks, and sets, the password.
    ret = states.user_present(name="ec2", password="ec2-pw-2", profile=profile)
    assert ret.changes == {
        "enabled": {"old": False, "new": True},
        "password": {"old": "(differs)", "new": "******"},
    }
    keystone.token("ec2", "ec2-pw-2")
    assert states.user_present(name="ec2", password="ec2-pw-2", profile=profile).changes == {}


def test_passwords_stay_out_of_the_debug_log(keystone, states, caplog):
    profile = keystone.profile
    with caplog.at_level(logging.DEBUG):
        states.user_present(name="heat", password="heat-pw-1", profile=profile)
        states.user_present(name="heat", password="heat-pw-2", profile=profile)
    # Everything but the test harness's own "Calling state.single(...)" line.
    logged = "\n".join(
        r.getMessage() for r in caplog.records if r.name != "saltfactories.utils.functional"
    )
    assert "/v3/users" in logged  # keystoneauth1 did log the requests
    for secret in ("heat-pw-1", "heat-pw-2", keystone_server.ADMIN_PASSWORD):
        assert secret not in logged
    keystone.token("heat", "heat-pw-2")


def test_failures_carry_keystones_message(keystone, module, states):
    profile = keystone.profile
    wrong = dict(profile, password="not-the-admin-password")
    ret = states.project_present(name="demo", profile=wrong)
    assert ret.result is False
    assert "HTTP 401" in ret.comment
    assert_secret_free(ret, "not-the-admin-password")

    ret = states.user_present(name="cinder", password="c-pw", project="nowhere", profile=profile)
    assert ret.result is False
    assert ret.comment == "Keystone: project 'nowhere' not found"
    assert module.user_get("cinder", profile=profile) is None

    ret = states.bootstrapped(
        name="keystone-init",
        profile=profile,
        users=[{"name": "cinder", "pasword": "typo-pw"}],
    )
    assert ret.result is False
    assert ret.comment == "users 'cinder': unknown keys pasword"
    ret = states.bootstrapped(
        name="keystone-init",
        profile=profile,
        services=[{"name": "cinder", "type": "volume", "endpoints": {"private": "http://x"}}],
    )
    assert ret.result is False
    assert "endpoint interfaces are public, internal, admin, not private" in ret.comment
    # A failing step stops the run; what it says comes masked.
    ret = states.bootstrapped(
        name="keystone-init",
        profile=wrong,
        users=[{"name": "cinder", "password": "c-pw-2"}],
    )
    assert ret.result is False
    assert ret.comment.startswith("Stopped: Keystone: ")
    assert_secret_free(ret, "c-pw-2", "not-the-admin-password")
