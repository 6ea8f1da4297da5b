"""
The audit's look at the public side's TLS (_utils/audit_tls.py) over real
sockets on 127.0.0.1: HTTPS servers with a certificate of a CA made by the
project's own code (_runners/_openstack/tls.py), one of another CA, one
that still accepts TLS 1.0; a plain HTTP port that redirects and one that
serves; and the API walk against a small HTTPS server that answers the
Identity and Compute requests the way Keystone and nova do (their wire
format: X-Subject-Token, the token's catalog, ``servers``), checking what
the client sent.
"""

import http.server
import io
import json
import ssl
import threading
import warnings

import pytest

from _runners._openstack import tls

ADDRESS = "127.0.0.1"


@pytest.fixture
def audit_tls(extension):
    return extension("_utils", "audit_tls")


def _ca(tmp_path, name):
    key, cert = tls.make_ca(str(tmp_path / name))
    return key, cert, tls.ca_pem(cert)


@pytest.fixture
def project_ca(tmp_path):
    return _ca(tmp_path, "ca")


def _leaf(tmp_path, ca, name="leaf"):
    cert_pem, key_pem = tls.issue(ca[0], ca[1], {"cn": ADDRESS, "dns": [], "ip": [ADDRESS]})
    cert = tmp_path / f"{name}.pem"
    key = tmp_path / f"{name}.key"
    cert.write_text(cert_pem)
    key.write_text(key_pem)
    return str(cert), str(key)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Keystone's token request and nova's server list, as the API walk
    meets them (``server.api`` holds what the server saw)."""

    def log_message(self, *args):  # noqa: PLR6301
        pass

    def _json(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        self.server.seen.append(("POST", self.path, body))
        password = body["auth"]["identity"]["password"]["user"]["password"]
        if self.path != "/v3/auth/tokens" or password != "right":
            self._json(401, {"error": {"code": 401}})
            return
        port = self.server.server_address[1]
        catalog = [
            {
                "type": kind,
                "endpoints": [
                    {"interface": "public", "region_id": "RegionOne", "url": url.format(port)},
                    {"interface": "internal", "region_id": "RegionOne", "url": "http://c:1"},
                ],
            }
            for kind, url in self.server.catalog.items()
        ]
        self._json(201, {"token": {"catalog": catalog}}, [("X-Subject-Token", "tok")])

    def do_GET(self):
        self.server.seen.append(("GET", self.path, self.headers.get("X-Auth-Token")))
        if self.server.redirect:
            self.send_response(self.server.redirect)
            self.send_header("Location", f"https://{ADDRESS}/")
            self.end_headers()
            return
        if self.path == "/v2.1/servers" and self.headers.get("X-Auth-Token") == "tok":
            self._json(200, {"servers": [{"id": "a"}, {"id": "b"}]})
            return
        self._json(404, {})


def _serve(context=None, redirect=None, catalog=None):
    server = http.server.ThreadingHTTPServer((ADDRESS, 0), _Handler)
    server.seen, server.redirect = [], redirect
    server.catalog = catalog or {
        "identity": "https://127.0.0.1:{}/v3",
        "compute": "https://127.0.0.1:{}/v2.1",
    }
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def servers():
    started = []

    def start(*args, **kwargs):
        server = _serve(*args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def _server_context(cert, key, oldest=ssl.TLSVersion.TLSv1_2):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = oldest
    if oldest < ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(cert, key)
    return ctx


def _port(server):
    return server.server_address[1]


def test_handshake_trusts_the_project_ca_only(audit_tls, tmp_path, project_ca, servers):
    good = servers(_server_context(*_leaf(tmp_path, project_ca)))
    other_ca = _ca(tmp_path, "other")
    other = servers(_server_context(*_leaf(tmp_path, other_ca, "other")))
    plain = servers()

    found = audit_tls.handshake(ADDRESS, _port(good), project_ca[2], timeout=5)
    assert found["ok"], found
    assert found["detail"].startswith("TLSv1.")
    assert f"CN {ADDRESS}" in found["detail"]

    refused = audit_tls.handshake(ADDRESS, _port(other), project_ca[2], timeout=5)
    assert not refused["ok"]
    assert refused["detail"].startswith("certificate refused")

    none = audit_tls.handshake(ADDRESS, _port(plain), project_ca[2], timeout=5)
    assert not none["ok"]
    assert none["detail"].startswith("no TLS")


def test_handshake_checks_the_name(audit_tls, tmp_path, project_ca, servers):
    cert_pem, key_pem = tls.issue(
        project_ca[0], project_ca[1], {"cn": "elsewhere", "dns": ["elsewhere"], "ip": []}
    )
    (tmp_path / "c.pem").write_text(cert_pem)
    (tmp_path / "c.key").write_text(key_pem)
    server = servers(_server_context(str(tmp_path / "c.pem"), str(tmp_path / "c.key")))
    found = audit_tls.handshake(ADDRESS, _port(server), project_ca[2], timeout=5)
    assert not found["ok"]
    assert "certificate refused" in found["detail"]


def test_old_protocol_refused_or_accepted(audit_tls, tmp_path, project_ca, servers):
    leaf = _leaf(tmp_path, project_ca)
    modern = servers(_server_context(*leaf))
    refused = audit_tls.old_protocol(ADDRESS, _port(modern), timeout=5)
    assert refused["ok"], refused
    assert refused["detail"].startswith("TLS 1.1 refused")

    try:
        lax_context = _server_context(*leaf, oldest=ssl.TLSVersion.TLSv1)
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot serve TLS 1.0 at all")
    lax = servers(lax_context)
    accepted = audit_tls.old_protocol(ADDRESS, _port(lax), timeout=5)
    if "could not offer" in accepted["detail"]:
        pytest.skip("this OpenSSL cannot offer TLS 1.1 as a client")
    assert not accepted["ok"]
    assert accepted["detail"].startswith("accepted TLSv1")


@pytest.mark.parametrize(("code", "ok"), [(301, True), (302, True), (None, False)])
def test_redirect(audit_tls, servers, code, ok):
    server = servers(redirect=code)
    found = audit_tls.redirect(ADDRESS, _port(server), timeout=5)
    assert found["ok"] is ok, found
    if ok:
        assert found["detail"] == f"{code} to https://{ADDRESS}/"
    else:
        assert found["detail"] == "404, Location none"


def _creds(port, password="right"):
    return {
        "auth_url": f"https://{ADDRESS}:{port}/v3",
        "username": "admin",
        "password": password,
        "project": "admin",
        "region": "RegionOne",
    }


def test_api_token_catalog_and_servers(audit_tls, tmp_path, project_ca, servers):
    server = servers(_server_context(*_leaf(tmp_path, project_ca)))
    port = _port(server)
    found = audit_tls.api(_creds(port), ADDRESS, project_ca[2], timeout=5)
    assert found["ok"], found
    assert found["detail"] == (
        f"token from https://{ADDRESS}:{port}/v3; 2 public endpoints, all on "
        f"https://{ADDRESS}:*; server list: 2 servers"
    )
    assert server.seen[0][:2] == ("POST", "/v3/auth/tokens")
    assert server.seen[0][2]["auth"]["scope"]["project"]["name"] == "admin"
    assert server.seen[1] == ("GET", "/v2.1/servers", "tok")
    assert "right" not in json.dumps(found)


def test_api_wrong_password_and_plain_endpoint(audit_tls, tmp_path, project_ca, servers):
    leaf = _leaf(tmp_path, project_ca)
    server = servers(_server_context(*leaf))
    denied = audit_tls.api(_creds(_port(server), "wrong"), ADDRESS, project_ca[2], timeout=5)
    assert not denied["ok"]
    assert denied["detail"].startswith("no token from")
    assert "401" in denied["detail"]

    http_catalog = servers(
        _server_context(*leaf),
        catalog={"identity": "https://127.0.0.1:{}/v3", "compute": "http://controller:8774/v2.1"},
    )
    wrong = audit_tls.api(_creds(_port(http_catalog)), ADDRESS, project_ca[2], timeout=5)
    assert not wrong["ok"]
    assert wrong["detail"] == (
        f"public endpoints not on https://{ADDRESS}:: compute http://controller:8774/v2.1"
    )


def test_main_runs_every_look(audit_tls, tmp_path, project_ca, servers):
    tls_server = servers(_server_context(*_leaf(tmp_path, project_ca)))
    plain = servers(redirect=301)
    request = {
        "ca": project_ca[2],
        "address": ADDRESS,
        "timeout": 5,
        "tls": [_port(tls_server)],
        "plain": [_port(plain)],
        "api": _creds(_port(tls_server)),
    }
    out = io.StringIO()
    assert audit_tls.main(io.StringIO(json.dumps(request)), out) == 0
    found = json.loads(out.getvalue())
    assert sorted(found) == sorted(
        [f"tls {_port(tls_server)}", f"old {_port(tls_server)}", f"plain {_port(plain)}", "api"]
    )
    assert all(item["ok"] for item in found.values()), found
    assert "right" not in out.getvalue()
