"""
The keystone execution and state modules against a real Keystone (Zed) that
this module starts on 127.0.0.1 (see keystone_server.py).

The tests share one Keystone and run in file order: a dry run creates nothing,
the keystone-init data is created, a second run changes nothing, then a
password and an endpoint URL change. Keystone is checked independently of the
modules under test: with keystoneauth1 directly (tokens, the catalog).
``loaders`` (the modules, straight from _modules/_states) is conftest's.
"""

import logging
import os

import keystone_server
import pytest
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3 as ks_v3
from salt.exceptions import CommandExecutionError

GLANCE_PASSWORD = "glance-pw-0a1b2c"
NOVA_PASSWORD = "nova-pw-3d4e5f"
NEW_NOVA_PASSWORD = "nova-pw-changed-6a7b"


def keystone_init(auth_url, nova_password=NOVA_PASSWORD, compute_url="http://controller:8774/v2.1"):
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
    try:
        venv = keystone_server.ensure_venv()
    except keystone_server.KeystoneUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, and Keystone cannot be installed: {exc}")
        pytest.skip(f"Keystone cannot be installed here: {exc}")
    # Salt's loaders are built while Keystone starts.
    meanwhile = lambda: request.getfixturevalue("loaders")  # noqa: E731
    with keystone_server.running(
        venv, tmp_path_factory.mktemp("keystone"), meanwhile=meanwhile
    ) as server:
        yield server


@pytest.fixture(scope="module")
def module(loaders):
    return loaders.modules.keystone


@pytest.fixture(scope="module")
def states(loaders):
    return loaders.states.keystone


def token(keystone, username, password, project=None):
    """A token issued by Keystone (not through the module under test)."""
    args = {"project_name": project, "project_domain_id": "default"} if project else {}
    auth = ks_v3.Password(
        auth_url=keystone.auth_url,
        username=username,
        password=password,
        user_domain_id="default",
        **args,
    )
    return auth.get_auth_ref(ks_session.Session())


def assert_secret_free(ret, *secrets):
    text = repr(ret.raw if hasattr(ret, "raw") else ret)
    for secret in secrets:
        assert secret not in text


def endpoint_urls(keystone):
    """{(service type, interface, region): url} from the admin's token catalog."""
    ref = token(keystone, "admin", keystone_server.ADMIN_PASSWORD, "admin")
    return {
        (service["type"], endpoint["interface"], endpoint["region_id"]): endpoint["url"]
        for service in ref.service_catalog.catalog
        for endpoint in service["endpoints"]
    }


def test_dry_run_creates_nothing(keystone, module, states):
    data = keystone_init(keystone.auth_url)
    ret = states.bootstrapped(name="keystone-init", profile=keystone.profile, test=True, **data)
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


def test_bootstrap_creates_keystone_init_data(keystone, module, states):
    data = keystone_init(keystone.auth_url)
    ret = states.bootstrapped(name="keystone-init", profile=keystone.profile, **data)
    assert ret.result is True, ret.comment
    assert_secret_free(ret, GLANCE_PASSWORD, NOVA_PASSWORD, keystone_server.ADMIN_PASSWORD)
    assert ret.changes["user glance"]["new"]["project"] == "service"
    assert ret.changes["user glance roles"] == {"old": [], "new": ["admin"]}
    # Keystone's own view: service users get admin-scoped tokens in project
    # service, and the catalog has 3 services x 3 interfaces.
    for user, password in (("glance", GLANCE_PASSWORD), ("nova", NOVA_PASSWORD)):
        ref = token(keystone, user, password, "service")
        assert ref.project_name == "service"
        assert "admin" in ref.role_names
    urls = endpoint_urls(keystone)
    assert len(urls) == 9
    assert urls[("compute", "internal", "RegionOne")] == "http://controller:8774/v2.1"
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
    data = keystone_init(keystone.auth_url)
    ret = states.bootstrapped(name="keystone-init", profile=keystone.profile, **data)
    assert ret.result is True, ret.comment
    assert ret.changes == {}
    assert ret.comment.startswith("Keystone is as wanted")
    dry = states.bootstrapped(name="keystone-init", profile=keystone.profile, test=True, **data)
    assert dry.result is True, dry.comment
    assert dry.changes == {}


def test_password_change(keystone, module, states):
    data = keystone_init(keystone.auth_url, nova_password=NEW_NOVA_PASSWORD)
    dry = states.bootstrapped(name="keystone-init", profile=keystone.profile, test=True, **data)
    assert dry.result is None
    assert dry.changes == {"user nova password": {"old": "(differs)", "new": "******"}}
    token(keystone, "nova", NOVA_PASSWORD)  # test=True changed nothing

    ret = states.bootstrapped(name="keystone-init", profile=keystone.profile, **data)
    assert ret.result is True, ret.comment
    assert ret.changes == {"user nova password": {"old": "(differs)", "new": "******"}}
    assert_secret_free(ret, NOVA_PASSWORD, NEW_NOVA_PASSWORD, GLANCE_PASSWORD)
    with pytest.raises(ks_exceptions.Unauthorized):
        token(keystone, "nova", NOVA_PASSWORD)
    assert "admin" in token(keystone, "nova", NEW_NOVA_PASSWORD, "service").role_names
    assert module.user_verify_password("nova", NEW_NOVA_PASSWORD, profile=keystone.profile)
    assert not module.user_verify_password("nova", NOVA_PASSWORD, profile=keystone.profile)
    # glance untouched
    token(keystone, "glance", GLANCE_PASSWORD)

    again = states.bootstrapped(name="keystone-init", profile=keystone.profile, **data)
    assert again.changes == {}


def test_endpoint_url_change(keystone, states):
    new_url = "http://controller.example:8774/v2.1"
    data = keystone_init(keystone.auth_url, nova_password=NEW_NOVA_PASSWORD, compute_url=new_url)
    dry = states.bootstrapped(name="keystone-init", profile=keystone.profile, test=True, **data)
    assert dry.result is None
    assert endpoint_urls(keystone)[("compute", "public", "RegionOne")] != new_url

    ret = states.bootstrapped(name="keystone-init", profile=keystone.profile, **data)
    assert ret.result is True, ret.comment
    old = "http://controller:8774/v2.1"
    assert ret.changes == {
        f"endpoint nova {interface} RegionOne url": {"old": old, "new": new_url}
        for interface in ("public", "internal", "admin")
    }
    urls = endpoint_urls(keystone)
    assert len(urls) == 9  # updated in place, not added
    for interface in ("public", "internal", "admin"):
        assert urls[("compute", interface, "RegionOne")] == new_url
    assert urls[("image", "public", "RegionOne")] == "http://controller:9292"
    assert states.bootstrapped(name="keystone-init", profile=keystone.profile, **data).changes == {}


def test_individual_states(keystone, module, states):
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
    assert "ResellerAdmin" in token(keystone, "swift", "swift-pw-1", "service").role_names
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
    assert endpoint_urls(keystone)[("object-store", "internal", "RegionTwo")] == (
        "http://controller:8080/v1"
    )


def test_disabled_user_password_left_alone(keystone, module, states):
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
    token(keystone, "ec2", "ec2-pw-2")
    assert states.user_present(name="ec2", password="ec2-pw-2", profile=profile).changes == {}


def test_passwords_stay_out_of_the_debug_log(keystone, module, states, caplog):
    profile = keystone.profile
    with caplog.at_level(logging.DEBUG):
        states.user_present(name="heat", password="heat-pw-1", profile=profile)
        states.user_present(name="heat", password="heat-pw-2", profile=profile)
        module.user_verify_password("heat", "heat-pw-3", profile=profile)
    # Everything but the test harness's own "Calling state.single(...)" line.
    logged = "\n".join(
        r.getMessage() for r in caplog.records if r.name != "saltfactories.utils.functional"
    )
    assert "/v3/users" in logged  # keystoneauth1 did log the requests
    for secret in ("heat-pw-1", "heat-pw-2", "heat-pw-3", keystone_server.ADMIN_PASSWORD):
        assert secret not in logged
    token(keystone, "heat", "heat-pw-2")


def test_errors_carry_keystones_message(keystone, module, states):
    profile = keystone.profile
    with pytest.raises(CommandExecutionError, match=r"Conflict occurred.*HTTP 409, POST"):
        module.project_create("service", profile=profile)
    wrong = dict(profile, password="not-the-admin-password")
    with pytest.raises(CommandExecutionError, match=r"requires authentication.*HTTP 401"):
        module.project_list(profile=wrong)
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
