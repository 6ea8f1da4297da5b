"""
The shared Keystone client (_utils/keystone_api.py) where it needs no
Keystone: credentials, URLs, arguments, masking, the keystoneauth1 session it
builds, and how it reads answers, from a stand-in HTTP server on 127.0.0.1
for the answers a real Keystone seldom gives (a proxy's HTML page, a body
quoting a secret). The requests Keystone itself answers are tested against a
real one in tests/functional.
"""

import http.server
import json
import threading

import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3 as ks_v3
from salt.exceptions import CommandExecutionError, SaltInvocationError

PROFILE = {
    "auth_url": "http://controller:5000/v3",
    "username": "admin",
    "password": "admin-pw",
    "project_name": "admin",
}
CONFIG = {"openstack:keystone:auth": dict(PROFILE, region_name="RegionOne")}


@pytest.fixture
def api(extension):
    return extension("_utils", "keystone_api")


def config_get(key):
    return CONFIG.get(key)


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
def test_identity_url(api, auth_url, identity):
    assert api.identity_url(auth_url) == identity


def test_auth_from_profile_and_os_arguments(api):
    settings = api.auth_settings(PROFILE, {"os_password": "other", "__pub_fun": "x"}, config_get)
    assert settings == dict(PROFILE, password="other")
    # A profile named by its config/pillar key; region_name is accepted, unused.
    assert api.auth_settings("openstack:keystone:auth", {}, config_get) == PROFILE
    # os_* arguments alone; an os_* argument of None leaves the profile's value
    os_args = {f"os_{key}": value for key, value in PROFILE.items()}
    assert api.auth_settings(None, os_args, config_get) == PROFILE
    assert api.auth_settings(PROFILE, {"os_password": None}, config_get) == PROFILE


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
def test_auth_refusals(api, profile, kwargs, message):
    with pytest.raises(SaltInvocationError, match=message):
        api.auth_settings(profile, kwargs, config_get)


def test_os_arguments(api):
    kwargs = {"os_password": "p", "os_region_name": None, "__id__": "x", "_private": 1}
    # The state system's own arguments start with "_": skipped.
    assert api.os_arguments(kwargs, internal="_") == {"os_password": "p", "os_region_name": None}
    # The execution module skips only the loader's "__pub_*".
    with pytest.raises(SaltInvocationError, match="Unexpected argument '_private'"):
        api.os_arguments(kwargs)


def test_scrub(api):
    text = "Invalid input for field 'password': 's3cret' is too short (pin 1234)"
    assert api.scrub(text, ["s3cret", None, "", 1234]) == (
        "Invalid input for field 'password': '******' is too short (pin ******)"
    )
    assert api.scrub(ValueError("no secret here"), ["s3cret"]) == "no secret here"


def test_check_interface(api):
    for interface in ("public", "internal", "admin"):
        api.check_interface(interface)
    with pytest.raises(SaltInvocationError, match="'private': one of public, internal, admin"):
        api.check_interface("private")


def test_connect_builds_one_session_per_credentials(api):
    context = {}
    settings = dict(PROFILE, user_domain_id="users", verify=False, timeout=5)
    client = api.connect(context, settings)
    assert client.url == "http://controller:5000/v3"
    assert client.session.verify is False
    assert client.session.timeout == 5.0
    plugin = client.session.auth
    assert isinstance(plugin, ks_v3.Password)
    assert plugin.auth_url == "http://controller:5000/v3"
    assert plugin.project_name == "admin"
    assert plugin.project_domain_name == "Default"  # the default, as no id is given
    method = plugin.auth_methods[0]
    assert (method.username, method.password, method.user_domain_id) == (
        "admin",
        "admin-pw",
        "users",
    )
    assert method.user_domain_name is None
    # Kept for the rest of the run: the same credentials, the same client.
    assert api.connect(context, dict(settings)) is client
    other = api.connect(context, dict(settings, password="other"))
    assert other is not client
    assert len(context["keystone.connections"]) == 2
    # Domains found by name are remembered across the run's clients.
    assert other._domains is client._domains is context["keystone.domains"]


def test_results(api):
    assert api.clean(None) is None
    assert api.clean({"id": "1", "links": {"self": "x"}}) == {"id": "1"}
    assert api.one([], "Role 'x'") is None
    assert api.one([{"id": "1", "links": {}}], "Role 'x'") == {"id": "1"}
    with pytest.raises(CommandExecutionError, match=r"Role 'x': 2 match \(1, 2\), expected one"):
        api.one([{"id": "1"}, {"id": "2"}], "Role 'x'")
    assert api.require({"id": "1"}, "role 'x'") == {"id": "1"}
    with pytest.raises(CommandExecutionError, match="^Keystone: role 'x' not found$"):
        api.require(None, "role 'x'")


# --- answers from a stand-in server -------------------------------------------


class Answers(http.server.BaseHTTPRequestHandler):
    """Answers by path: {path: (status, content type, body)}; records the requests."""

    answers = {}
    seen = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.seen.append((self.command, self.path, self.rfile.read(length).decode()))
        status, ctype, body = self.answers[self.path.split("?")[0]]
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Answers.answers = {}
    Answers.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client(api, server):
    # No auth plugin: the stand-in wants no token.
    url = f"http://127.0.0.1:{server.server_port}/v3"
    return api.Client(url, ks_session.Session(), {})


def answer(path, status, body="", ctype="application/json"):
    Answers.answers[path] = (status, ctype, body if isinstance(body, str) else json.dumps(body))


def test_request_reads_keystones_answers(client):
    answer("/v3/projects", 200, {"projects": [{"id": "p1", "name": "service", "links": {}}]})
    answer("/v3/regions/RegionTwo", 404, {"error": {"code": 404, "message": "Could not find"}})
    answer("/v3/projects/p1", 204)
    assert client.list("projects", {"name": "service"}) == [{"id": "p1", "name": "service"}]
    assert client.get("region", "RegionTwo") is None
    assert client.request("DELETE", "/projects/p1") == {}
    with pytest.raises(CommandExecutionError) as error:
        client.request("GET", "/regions/RegionTwo")
    assert str(error.value) == (
        f"Keystone: Could not find (HTTP 404, GET {client.url}/regions/RegionTwo)"
    )


def test_errors_without_keystones_json(client):
    # What Apache answers while Keystone's uwsgi is down: HTML, not Keystone's JSON.
    answer("/v3/users", 503, "<html>Service Unavailable</html>\n", "text/html")
    with pytest.raises(CommandExecutionError) as error:
        client.request("GET", "/users")
    assert str(error.value) == (
        f"Keystone: <html>Service Unavailable</html> (HTTP 503, GET {client.url}/users)"
    )
    answer("/v3/roles", 409, {"error": {"code": 409, "title": "Conflict"}})
    with pytest.raises(CommandExecutionError, match=r"^Keystone: Conflict \(HTTP 409, POST"):
        client.create("role", {"name": "admin"})


def test_secrets_are_masked_in_errors(client):
    message = "Invalid input for field 'password': 'new-pw-1' is too short"
    answer("/v3/users/u1", 400, {"error": {"code": 400, "message": message}})
    with pytest.raises(CommandExecutionError) as error:
        client.update("user", "u1", {"password": "new-pw-1"}, secrets=("new-pw-1",))
    assert "new-pw-1" not in str(error.value)
    assert "'password': '******' is too short (HTTP 400, PATCH" in str(error.value)
    # The request did carry it.
    assert Answers.seen[-1] == ("PATCH", "/v3/users/u1", '{"user": {"password": "new-pw-1"}}')


def test_authenticates(client):
    answer("/v3/auth/tokens", 201, {"token": {}})
    assert client.authenticates("glance", "default", "g-pw") is True
    method, path, body = Answers.seen[-1]
    assert (method, path) == ("POST", "/v3/auth/tokens")
    user = json.loads(body)["auth"]["identity"]["password"]["user"]
    assert user == {"name": "glance", "domain": {"id": "default"}, "password": "g-pw"}
    answer("/v3/auth/tokens", 401, {"error": {"code": 401}})
    assert client.authenticates("glance", "default", "wrong") is False
    answer("/v3/auth/tokens", 500, "password g-pw rejected: internal error", "text/plain")
    with pytest.raises(CommandExecutionError) as error:
        client.authenticates("glance", "default", "g-pw")
    assert str(error.value) == (
        "Keystone: password ****** rejected: internal error "
        f"(HTTP 500, POST {client.url}/auth/tokens (as user 'glance'))"
    )
