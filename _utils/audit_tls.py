"""
The audit's look at the public side's TLS (issue 13), standard library only:
what a user outside the LAN meets on the gateway's public address.

- :func:`handshake`: a TLS connection that trusts only the project CA and
  checks the certificate names the address (no system CA, so a certificate
  anyone else signed fails); its protocol version;
- :func:`old_protocol`: a connection that offers at most TLS 1.1, which the
  server must refuse;
- :func:`redirect`: plain HTTP on a port that must only send the user on
  to HTTPS (the dashboard's port 80);
- :func:`api`: the admin's token from Keystone's public endpoint, the
  catalog's public URLs (each must be https on the public address), and a
  server list from nova's: the ``openstack`` CLI's path from outside.

Run as a program by the ``openstack`` runner inside the lab's network
namespace (``nsenter --net=... python3 audit_tls.py``) as the probes are: a
JSON request on stdin, ``{"ca": PEM, "address": IP, "timeout": s, "tls":
[port], "plain": [port], "api": {auth_url, username, password, project,
region} or null}``, the findings as JSON on stdout (never the password or
the token). Each finding is ``{"ok": bool, "detail": text}``.
"""

import json
import socket
import ssl
import sys
import urllib.error
import urllib.request
import warnings

TIMEOUT = 5


def _context(ca):
    ctx = ssl.create_default_context(cadata=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _finding(ok, detail):
    return {"ok": bool(ok), "detail": detail}


def _reason(exc):
    return getattr(exc, "reason", None) or exc.__class__.__name__


def handshake(address, port, ca, timeout=TIMEOUT):
    """TLS 1.2 or newer with a certificate for ``address`` that chains to
    ``ca`` (PEM) and to nothing else."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw:
            with _context(ca).wrap_socket(raw, server_hostname=address) as tls:
                version = tls.version()
                subject = dict(item[0] for item in tls.getpeercert().get("subject", ()))
    except ssl.SSLCertVerificationError as exc:
        return _finding(False, f"certificate refused: {exc.verify_message}")
    except (OSError, ssl.SSLError) as exc:
        return _finding(False, f"no TLS: {_reason(exc)}: {exc}")
    return _finding(True, f"{version}, CN {subject.get('commonName', '?')}, chains to the CA")


def old_protocol(address, port, timeout=TIMEOUT):
    """
    A client that offers TLS 1.0 and 1.1 only (security level 0, so the
    local OpenSSL offers them at all): the server must refuse. A client that
    cannot offer them here proves nothing, and says so (not ok).
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():  # deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError) as exc:
        return _finding(False, f"cannot offer TLS 1.1 here: {exc}")
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw) as tls:
                return _finding(False, f"accepted {tls.version()}")
    except ssl.SSLError as exc:
        reason = _reason(exc)
        if reason == "NO_PROTOCOLS_AVAILABLE":
            return _finding(False, "this client could not offer TLS 1.1 (proves nothing)")
        return _finding(True, f"TLS 1.1 refused ({reason})")
    except OSError as exc:
        return _finding(False, f"no answer: {exc}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ARG002, PLR6301
        return None


def redirect(address, port, timeout=TIMEOUT):
    """Plain HTTP to ``address:port`` answers only with a redirect to an
    https:// URL."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(f"http://{address}:{port}/", timeout=timeout) as resp:
            return _finding(False, f"answered {resp.status} in plain HTTP")
    except urllib.error.HTTPError as exc:
        location = exc.headers.get("Location", "")
        if exc.code in {301, 302, 307, 308} and location.startswith("https://"):
            return _finding(True, f"{exc.code} to {location}")
        return _finding(False, f"{exc.code}, Location {location or 'none'}")
    except OSError as exc:
        return _finding(False, f"no answer: {exc}")


def _request(url, ca, timeout, body=None, token=None):
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers)
    return urllib.request.urlopen(req, timeout=timeout, context=_context(ca))  # noqa: S310


def password_auth(user, password, project=None):
    """Identity v3's password login (``POST /v3/auth/tokens``) of ``user``
    of the Default domain: unscoped, or scoped to ``project`` of it."""
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"name": "Default"}, "password": password}
                },
            }
        }
    }
    if project:
        body["auth"]["scope"] = {"project": {"name": project, "domain": {"name": "Default"}}}
    return body


def api(creds, address, ca, timeout=TIMEOUT):
    """
    What the ``openstack`` CLI does from outside: a token from
    ``creds["auth_url"]``, the catalog's public endpoints (each https on
    ``address``), then nova's server list through its public endpoint.
    """
    body = password_auth(creds["username"], creds["password"], creds["project"])
    try:
        with _request(creds["auth_url"] + "/auth/tokens", ca, timeout, body=body) as resp:
            token = resp.headers["X-Subject-Token"]
            catalog = json.load(resp)["token"]["catalog"]
    except (OSError, ValueError, KeyError) as exc:
        return _finding(False, f"no token from {creds['auth_url']}: {exc}")
    public, wrong = {}, []
    prefix = f"https://{address}:"
    for service in catalog:
        for endpoint in service.get("endpoints", []):
            if endpoint.get("interface") != "public":
                continue
            if creds.get("region") and endpoint.get("region_id") != creds["region"]:
                continue
            public[service["type"]] = endpoint["url"]
            if not endpoint["url"].startswith(prefix):
                wrong.append(f"{service['type']} {endpoint['url']}")
    if wrong:
        return _finding(False, "public endpoints not on " + prefix + ": " + ", ".join(wrong))
    if "compute" not in public:
        return _finding(False, "the catalog has no public compute endpoint")
    try:
        with _request(public["compute"] + "/servers", ca, timeout, token=token) as resp:
            servers = json.load(resp)["servers"]
    except (OSError, ValueError, KeyError) as exc:
        return _finding(False, f"server list from {public['compute']}: {exc}")
    return _finding(
        True,
        f"token from {creds['auth_url']}; {len(public)} public endpoints, all on {prefix}*; "
        f"server list: {len(servers)} servers",
    )


def run(request):
    """Every finding the request asks for, keyed ``tls <port>``, ``old
    <port>``, ``plain <port>`` and ``api``."""
    address, ca = request["address"], request["ca"]
    timeout = float(request.get("timeout", TIMEOUT))
    out = {}
    for port in request.get("tls", []):
        out[f"tls {port}"] = handshake(address, port, ca, timeout)
        out[f"old {port}"] = old_protocol(address, port, timeout)
    for port in request.get("plain", []):
        out[f"plain {port}"] = redirect(address, port, timeout)
    if request.get("api"):
        out["api"] = api(request["api"], address, ca, timeout)
    return out


def main(stdin=sys.stdin, stdout=sys.stdout):
    json.dump(run(json.load(stdin)), stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
