"""
The keystone execution module against a real Keystone (Zed) started on
127.0.0.1 for this file (tests/support/keystone_server.py): each kind of
object it manages, names that match several objects, the errors Keystone
gives, passwords kept out of the log; and the module, the state module and
their shared client as a minion has them after ``saltutil.sync_all``.

Each test makes the objects it needs, named for it, so each passes alone and
in any order. Keystone is checked independently of the module where it can
be, with keystoneauth1 directly (tokens, the catalog). ``loaders`` (the
modules, straight from _modules/_states/_utils) is conftest's.
"""

import logging
import pathlib
import sys

import pytest
from keystoneauth1 import exceptions as ks_exceptions
from salt.exceptions import CommandExecutionError, SaltInvocationError
from saltfactories.utils.functional import Loaders

from tests.support import keystone_server
from tests.support.paths import REPO


@pytest.fixture(scope="module")
def keystone(tmp_path_factory, request):
    # Salt's loaders are built while Keystone starts.
    meanwhile = lambda: request.getfixturevalue("loaders")  # noqa: E731
    with keystone_server.for_tests(tmp_path_factory, meanwhile=meanwhile) as server:
        yield server


@pytest.fixture(scope="module")
def module(loaders):
    return loaders.modules.keystone


@pytest.fixture
def profile(keystone):
    return keystone.profile


def names(objects):
    return sorted(o["name"] for o in objects)


def test_projects(module, profile):
    created = module.project_create("proj-a", description="Project A", profile=profile)
    assert created["name"] == "proj-a"
    assert created["description"] == "Project A"
    assert created["enabled"] is True
    assert created["domain_id"] == "default"
    assert "links" not in created
    assert module.project_get("proj-a", profile=profile) == created
    assert module.project_get("proj-a", domain="Default", profile=profile) == created
    assert module.project_get("no-such-project", profile=profile) is None
    assert "proj-a" in names(module.project_list(profile=profile))
    assert "proj-a" in names(module.project_list(domain="Default", profile=profile))

    updated = module.project_update("proj-a", enabled=False, profile=profile)
    assert (updated["enabled"], updated["description"]) == (False, "Project A")
    # Nothing to change: the project as it is, no request made.
    assert module.project_update("proj-a", profile=profile) == module.project_get(
        "proj-a", profile=profile
    )
    with pytest.raises(CommandExecutionError, match="^Keystone: project 'no-such' not found$"):
        module.project_update("no-such", description="x", profile=profile)


def test_users(keystone, module, profile):
    project = module.project_create("proj-users", profile=profile)
    user = module.user_create(
        "user-a",
        password="user-a-pw-1",
        project="proj-users",
        email="a@example.org",
        profile=profile,
    )
    assert "password" not in user
    assert user["default_project_id"] == project["id"]
    assert user["email"] == "a@example.org"
    assert module.user_get("user-a", profile=profile) == user
    assert {"admin", "user-a"} <= set(names(module.user_list(profile=profile)))
    keystone.token("user-a", "user-a-pw-1")
    assert module.user_verify_password("user-a", "user-a-pw-1", profile=profile) is True
    assert module.user_verify_password("user-a", "wrong", profile=profile) is False

    module.user_update("user-a", password="user-a-pw-2", profile=profile)
    keystone.token("user-a", "user-a-pw-2")
    with pytest.raises(ks_exceptions.Unauthorized):
        keystone.token("user-a", "user-a-pw-1")
    # An empty project removes the default project; the rest stays.
    updated = module.user_update("user-a", project="", profile=profile)
    assert updated.get("default_project_id") is None
    assert updated["email"] == "a@example.org"
    assert module.user_update("user-a", profile=profile) == module.user_get(
        "user-a", profile=profile
    )
    # A user without a password cannot authenticate.
    module.user_create("user-b", profile=profile)
    assert module.user_verify_password("user-b", "anything", profile=profile) is False


def test_roles_and_grants(keystone, module, profile):
    role = module.role_create("observer", description="Watches", profile=profile)
    assert module.role_get("observer", profile=profile) == role
    assert module.role_update("observer", description="Looks", profile=profile)["description"] == (
        "Looks"
    )
    assert {"admin", "member", "reader", "observer"} <= set(
        names(module.role_list(profile=profile))
    )
    module.project_create("proj-grants", profile=profile)
    module.user_create("user-g", password="user-g-pw", profile=profile)

    assert module.role_grant_check("user-g", "proj-grants", "observer", profile=profile) is False
    assert module.role_grant("user-g", "proj-grants", "observer", profile=profile) is True
    assert module.role_grant("user-g", "proj-grants", "observer", profile=profile) is True
    assert module.role_grant_check("user-g", "proj-grants", "observer", profile=profile) is True
    assert module.role_assignment_list(user="user-g", profile=profile) == [
        {"user": "user-g", "project": "proj-grants", "role": "observer"}
    ]
    assert module.role_assignment_list(project="proj-grants", role="observer", profile=profile) == [
        {"user": "user-g", "project": "proj-grants", "role": "observer"}
    ]
    assert "observer" in keystone.token("user-g", "user-g-pw", "proj-grants").role_names

    assert module.role_revoke("user-g", "proj-grants", "observer", profile=profile) is True
    assert module.role_grant_check("user-g", "proj-grants", "observer", profile=profile) is False
    assert module.role_assignment_list(user="user-g", profile=profile) == []
    with pytest.raises(CommandExecutionError, match="^Keystone: role 'no-such' not found$"):
        module.role_grant("user-g", "proj-grants", "no-such", profile=profile)


def test_regions_services_endpoints(keystone, module, profile):
    region = module.region_create("RegionCat", description="Catalog tests", profile=profile)
    assert module.region_get("RegionCat", profile=profile) == region
    assert module.region_get("NoSuchRegion", profile=profile) is None
    assert module.region_update("RegionCat", description="Cat", profile=profile)["description"] == (
        "Cat"
    )
    assert "RegionCat" in [r["id"] for r in module.region_list(profile=profile)]

    service = module.service_create("cat", "catalog-test", description="A", profile=profile)
    assert module.service_get("cat", profile=profile) == service
    assert module.service_get("cat", service_type="other-type", profile=profile) is None
    assert service in module.service_list(service_type="catalog-test", profile=profile)
    assert module.service_update("cat", description="B", profile=profile)["description"] == "B"

    url = "http://controller:7777/cat"
    created = module.endpoint_create("cat", "public", url, region="RegionCat", profile=profile)
    assert (created["url"], created["region_id"]) == (url, "RegionCat")
    assert module.endpoint_get("cat", "public", region="RegionCat", profile=profile) == created
    assert module.endpoint_get("cat", "public", profile=profile) is None  # no region: another
    assert keystone.endpoint_urls()[("catalog-test", "public", "RegionCat")] == url
    new_url = "http://controller.example:7777/cat"
    module.endpoint_update("cat", "public", url=new_url, region="RegionCat", profile=profile)
    assert keystone.endpoint_urls()[("catalog-test", "public", "RegionCat")] == new_url
    module.endpoint_create("cat", "internal", url, profile=profile)
    assert module.endpoint_get("cat", "internal", profile=profile)["region_id"] is None
    assert len(module.endpoint_list(service="cat", profile=profile)) == 2
    assert len(module.endpoint_list(service="cat", interface="internal", profile=profile)) == 1
    assert len(module.endpoint_list(region="RegionCat", profile=profile)) == 1

    with pytest.raises(CommandExecutionError, match="^Keystone: service 'no-such' not found$"):
        module.endpoint_get("no-such", "public", profile=profile)
    with pytest.raises(SaltInvocationError, match="'private': one of public, internal, admin"):
        module.endpoint_create("cat", "private", url, profile=profile)
    with pytest.raises(CommandExecutionError, match="not found"):
        module.endpoint_update("cat", "admin", url=url, region="RegionCat", profile=profile)


def test_a_name_of_several_objects_is_an_error(module, profile):
    first = module.service_create("twin", "twin-one", profile=profile)
    second = module.service_create("twin", "twin-two", profile=profile)
    with pytest.raises(CommandExecutionError) as error:
        module.service_get("twin", profile=profile)
    assert str(error.value) == (
        f"Service 'twin': 2 match ({first['id']}, {second['id']}), expected one"
    )
    assert module.service_get("twin", service_type="twin-two", profile=profile) == second
    with pytest.raises(CommandExecutionError, match="Service 'twin': 2 match"):
        module.endpoint_create("twin", "public", "http://x", profile=profile)


def test_domains(module, profile):
    admin = module.user_get("admin", profile=profile)
    assert module.user_get("admin", domain="Default", profile=profile) == admin
    assert module.user_get("admin", domain="default", profile=profile) == admin
    with pytest.raises(CommandExecutionError, match="^Keystone: domain 'no-such' not found$"):
        module.user_get("admin", domain="no-such", profile=profile)


def test_credentials(keystone, module):
    os_args = {f"os_{key}": value for key, value in keystone.profile.items()}
    assert module.role_get("admin", **os_args)["name"] == "admin"
    # The guide's OS_AUTH_URL, .../v2.0, is read as .../v3.
    guide = dict(keystone.profile, auth_url=f"{keystone.url}/v2.0")
    assert module.role_get("admin", profile=guide)["name"] == "admin"


def test_errors_carry_keystones_message(module, profile):
    module.project_create("proj-dup", profile=profile)
    with pytest.raises(CommandExecutionError, match=r"Conflict occurred.*HTTP 409, POST"):
        module.project_create("proj-dup", profile=profile)
    wrong = dict(profile, password="not-the-admin-password")
    with pytest.raises(CommandExecutionError) as error:
        module.project_list(profile=wrong)
    assert "requires authentication" in str(error.value)
    assert "HTTP 401" in str(error.value)
    assert "not-the-admin-password" not in str(error.value)
    # A request that carries a password fails like any other.
    module.user_create("user-dup", password="dup-pw-1", profile=profile)
    with pytest.raises(CommandExecutionError) as error:
        module.user_create("user-dup", password="dup-pw-2", profile=profile)
    assert "Duplicate entry" in str(error.value)
    assert f"HTTP 409, POST {profile['auth_url']}/users" in str(error.value)


def test_passwords_stay_out_of_the_debug_log(keystone, module, profile, caplog):
    with caplog.at_level(logging.DEBUG):
        module.user_create("user-log", password="log-pw-1", profile=profile)
        module.user_update("user-log", password="log-pw-2", profile=profile)
        module.user_verify_password("user-log", "log-pw-3", profile=profile)
        module.user_update("user-log", email="log@example.org", profile=profile)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/v3/users" in logged  # keystoneauth1 did log requests: those without secrets
    assert "log@example.org" in logged
    for secret in ("log-pw-1", "log-pw-2", "log-pw-3", keystone_server.ADMIN_PASSWORD):
        assert secret not in logged
    keystone.token("user-log", "log-pw-2")


# --- as a minion has them -------------------------------------------------------


@pytest.fixture
def synced_minion(salt_factories, tmp_path):
    """
    Loaders of a minion that knows the project only by what ``saltutil.sync_all``
    copied to its extension_modules from salt:// (as the orchestration's stage 2
    does): a file_roots holding salt/_modules, salt/_states and salt/_utils (the
    links to the top-level directories) and no top file. ``Loaders`` syncs.
    """
    # This process may have imported the client already (from _utils); the
    # minion must find its own copy, as a fresh minion does; then the
    # checkout's is put back.
    checkout = sys.modules.pop("keystone_api", None)
    root = tmp_path / "file_root"
    root.mkdir()
    for kind in ("_modules", "_states", "_utils"):
        (root / kind).symlink_to(REPO / "salt" / kind)
    overrides = {"file_client": "local", "file_roots": {"base": [str(root)]}}
    factory = salt_factories.salt_minion_daemon("synced-minion", overrides=overrides)
    opts = factory.config.copy()
    # A namespace of their own: the checkout's modules stay as they are.
    try:
        loaders = Loaders(opts, loaded_base_name="synced.loaded")
        yield loaders, pathlib.Path(opts["extension_modules"])
        loaders.reset_state()
    finally:
        sys.modules.pop("keystone_api", None)
        if checkout is not None:
            sys.modules["keystone_api"] = checkout


def test_a_synced_minion_has_the_module_state_and_client(keystone, synced_minion):
    loaders, extmods = synced_minion
    for path in ("modules/keystone.py", "states/keystone.py", "utils/keystone_api.py"):
        assert (extmods / path).is_file(), path
    assert loaders.modules.keystone.role_get("admin", profile=keystone.profile)["name"] == "admin"
    ret = loaders.states.keystone.role_present(name="admin", profile=keystone.profile)
    assert ret.result is True, ret.comment
    assert ret.changes == {}
    # The modules imported the copy the sync made, not the checkout's.
    assert sys.modules["keystone_api"].__file__ == str(extmods / "utils" / "keystone_api.py")
