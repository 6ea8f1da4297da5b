"""
The project CA and its certificates (``_runners/_openstack/tls.py``, made by
``openstack.secrets``; issue 13, part 3), on a master's options over a copy
of the guide's pillar (Salt's runner loader and its pillar compiler, real
keys and certificates, no mocks):

- the CA is made once: a second run keeps its key and certificate; its key
  is 0600 in a 0700 directory outside every root the master serves, and no
  host's pillar holds it; a CA directory the master serves is refused, and
  half a CA is never replaced;
- each host's certificate chains to the CA (cryptography's own path
  validation, as a server for its names and as a client, and a real TLS
  handshake both ways) and names the host, its aliases and its LAN
  address; the public one names openstack:public_ip and the gateway;
- each host's key reaches only that host's pillar (the gateway's alone has
  the public one); a changed address, a certificate near its end, one the
  CA did not sign, is made again, and nothing else is;
- a certificate and key the pillar gives for the public name replace the
  generated one, and validation refuses a bad one by its key, showing no key;
- ``openstack.ca`` prints the CA certificate; nothing the runners return
  or log holds a key.
"""

import datetime
import ipaddress
import json
import logging
import os
import socket
import ssl
import stat
import threading

import pytest
import salt.loader
import salt.pillar
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from salt.exceptions import CommandExecutionError

from _runners._openstack import tls
from tests.support.master import master_opts
from tests.support.paths import SALT
from tests.support.pillars import hosts_of, load_runner, openstack_of, write_pillar_root

runner = load_runner()

GUIDE = hosts_of("guide")
PUBLIC_IP = openstack_of("guide")["public_ip"]


@pytest.fixture
def master(tmp_path):
    pillar = write_pillar_root(tmp_path / "pillar", "guide")
    opts = master_opts(tmp_path, pillar)
    return {"opts": opts, "pillar": pillar, "run": lambda: salt.loader.runner(opts)}


def _ca_dir(master):
    return tls.ca_dir(master["opts"])


def _pillar(master, minion):
    """The pillar the master compiles for ``minion``."""
    compiled = salt.pillar.get_pillar(
        master["opts"], {"id": minion}, minion, saltenv="base", pillarenv="base"
    ).compile_pillar()
    assert not compiled.get("_errors"), compiled["_errors"]
    return compiled


def _host_file(master, host):
    return yaml.safe_load((master["pillar"] / "secrets" / "hosts" / f"{host}.sls").read_text())[
        "openstack"
    ]["tls"]


def _files(master):
    """Every file the runner writes, path -> bytes."""
    found = {}
    for root in (master["pillar"] / "secrets", _ca_dir(master)):
        for directory, _, names in os.walk(root):
            for name in names:
                path = os.path.join(directory, name)
                with open(path, "rb") as fh_:
                    found[path] = fh_.read()
    return found


def _key_lines(pem):
    """The body of a PEM key: what must never show anywhere else."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def _all_keys(master):
    keys = {"ca": (open(os.path.join(_ca_dir(master), "ca.key"), encoding="utf-8").read())}
    for host in GUIDE:
        found = _host_file(master, host)
        keys[host] = found["host"]["key"]
        if "public" in found:
            keys["public"] = found["public"]["key"]
    return keys


def _text(value):
    """Anything returned or compiled, as text to search."""
    return json.dumps(value, default=str)


def _assert_no_key(text, keys, armour=True):
    """No line of any of ``keys`` in ``text`` (and with ``armour``, no key
    at all: a host's pillar holds its own)."""
    for name, pem in keys.items():
        for line in _key_lines(pem):
            assert line not in text, f"a line of the {name} key is in the text"
    if armour:
        assert "PRIVATE KEY" not in text


def _ca_cert(master):
    with open(os.path.join(_ca_dir(master), "ca.crt"), "rb") as fh_:
        return x509.load_pem_x509_certificate(fh_.read())


def _names(cert):
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return (
        sorted(san.get_values_for_type(x509.DNSName)),
        sorted(str(a) for a in san.get_values_for_type(x509.IPAddress)),
    )


# --- The CA -------------------------------------------------------------------------


def test_the_ca_is_made_once(master):
    run = master["run"]()
    ret = run["openstack.secrets"]()
    assert ret["generated"] == [
        "tls:ca",
        *(f"tls:host:{host}" for host in sorted(GUIDE)),
        "tls:public",
    ]
    directory = _ca_dir(master)
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(directory, "ca.key")).st_mode) == 0o600
    for host in GUIDE:
        path = master["pillar"] / "secrets" / "hosts" / f"{host}.sls"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, host
    before = _files(master)

    ca = _ca_cert(master)
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature
    lifetime = ca.not_valid_after_utc - ca.not_valid_before_utc
    assert lifetime == datetime.timedelta(days=3650)
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    assert ca.public_key().curve.name == "secp256r1"

    for again in (run["openstack.secrets"](test=True), run["openstack.secrets"]()):
        assert again["generated"] == [] and again["tls"] == {}
    assert _files(master) == before
    # a new loader, as a later salt-run: still the same CA
    assert master["run"]()["openstack.secrets"]()["generated"] == []
    assert _files(master) == before


def test_the_ca_key_stays_on_the_master(master):
    master["run"]()["openstack.secrets"]()
    directory = os.path.realpath(_ca_dir(master))
    for root in (master["pillar"], SALT):
        assert not directory.startswith(os.path.realpath(root) + os.sep), root
    ca_key = {"ca": _all_keys(master)["ca"]}
    ca_pem = _ca_cert(master).public_bytes(serialization.Encoding.PEM).decode()
    for minion in [*GUIDE, "master"]:
        compiled = _pillar(master, minion)
        _assert_no_key(_text(compiled), ca_key, armour=False)
        if minion in GUIDE:
            assert compiled["openstack"]["tls"]["ca_cert"] == ca_pem, minion


def test_a_ca_dir_the_master_serves_is_refused(master):
    served = master["pillar"] / "secrets" / "ca"
    master["opts"]["openstack_ca_dir"] = str(served)
    run = master["run"]()
    ret = run["openstack.validate"]()
    assert ret["result"] is False
    assert ret["problems"] == [
        f"openstack_ca_dir (master option): {served} is under {master['pillar']}, which the "
        "master serves: the CA's key must stay on the master; choose a directory outside "
        "every pillar and file root"
    ]
    with pytest.raises(CommandExecutionError, match="openstack_ca_dir"):
        run["openstack.secrets"]()
    assert not served.exists()
    assert not (master["pillar"] / "secrets" / "hosts").exists()


@pytest.mark.parametrize("kept", ["ca.key", "ca.crt"])
def test_half_a_ca_is_never_replaced(master, kept):
    run = master["run"]()
    run["openstack.secrets"]()
    directory = _ca_dir(master)
    other = {"ca.key": "ca.crt", "ca.crt": "ca.key"}[kept]
    os.unlink(os.path.join(directory, other))
    with open(os.path.join(directory, kept), "rb") as fh_:
        before = fh_.read()
    for test in (True, False):
        with pytest.raises(CommandExecutionError, match=f"{kept} is there but .*{other} is not"):
            run["openstack.secrets"](test=test)
    assert sorted(os.listdir(directory)) == [kept]
    with open(os.path.join(directory, kept), "rb") as fh_:
        assert fh_.read() == before
    problems = run["openstack.validate"]()["problems"]
    assert len(problems) == 1 and problems[0].startswith("openstack_ca_dir (master option): ")


# --- The certificates ---------------------------------------------------------------


def _verify_server(ca, leaf, name):
    store = verification.Store([ca])
    verifier = verification.PolicyBuilder().store(store).build_server_verifier(name)
    return verifier.verify(leaf, [])


def test_each_certificate_chains_to_the_ca_with_its_names(master):
    master["run"]()["openstack.secrets"]()
    ca = _ca_cert(master)
    store = verification.Store([ca])
    client = verification.PolicyBuilder().store(store).build_client_verifier()
    for host, entry in GUIDE.items():
        leaf = tls.load_cert(_host_file(master, host)["host"]["cert"])
        assert _names(leaf) == (sorted([host, *entry.get("aliases", [])]), [entry["ip"]]), host
        assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == host
        for name in [
            x509.DNSName(host),
            *(x509.DNSName(a) for a in entry.get("aliases", [])),
            x509.IPAddress(ipaddress.ip_address(entry["ip"])),
        ]:
            chain = _verify_server(ca, leaf, name)
            assert chain[-1] == ca, (host, name)
        # GlusterFS uses the same certificate as a client of its peers
        assert client.verify(leaf, []).chain[-1] == ca
        with pytest.raises(verification.VerificationError):
            _verify_server(ca, leaf, x509.DNSName("compute9"))
        _assert_leaf(leaf)
    public = tls.load_cert(_host_file(master, "compute1")["public"]["cert"])
    assert _names(public) == (["compute1", "gateway"], [PUBLIC_IP])
    assert _verify_server(ca, public, x509.IPAddress(ipaddress.ip_address(PUBLIC_IP)))[-1] == ca
    _assert_leaf(public)
    for host in GUIDE:
        if host != "compute1":
            assert "public" not in _host_file(master, host), host


def _assert_leaf(leaf):
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(usage) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= datetime.timedelta(days=825)
    assert leaf.public_key().curve.name == "secp256r1"


def _serve_once(server_ctx, sock, seen):
    with server_ctx.wrap_socket(sock, server_side=True) as tls_sock:
        seen["client"] = tls_sock.getpeercert()
        seen["version"] = tls_sock.version()
        tls_sock.sendall(b"ok")


def _pem_files(tmp_path, name, found):
    cert = tmp_path / f"{name}.crt"
    key = tmp_path / f"{name}.key"
    cert.write_text(found["cert"])
    key.write_text(found["key"])
    return str(cert), str(key)


def test_a_tls_handshake_both_ways_with_two_hosts_certificates(master, tmp_path):
    """What GlusterFS and RabbitMQ do with them: compute2 serves, compute3
    connects by name, each proves itself with its certificate, both trust
    only the project CA, TLS 1.2 or newer."""
    master["run"]()["openstack.secrets"]()
    ca_file = os.path.join(_ca_dir(master), "ca.crt")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    server_ctx.load_cert_chain(
        *_pem_files(tmp_path, "compute2", _host_file(master, "compute2")["host"])
    )
    server_ctx.load_verify_locations(ca_file)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    client_ctx.load_cert_chain(
        *_pem_files(tmp_path, "compute3", _host_file(master, "compute3")["host"])
    )
    client_ctx.load_verify_locations(ca_file)
    left, right = socket.socketpair()
    seen = {}
    server = threading.Thread(target=_serve_once, args=(server_ctx, left, seen))
    server.start()
    try:
        with client_ctx.wrap_socket(right, server_hostname="compute2") as tls_sock:
            assert tls_sock.recv(2) == b"ok"
            assert dict(x[0] for x in tls_sock.getpeercert()["subject"]) == {
                "commonName": "compute2"
            }
    finally:
        server.join(10)
    assert dict(x[0] for x in seen["client"]["subject"]) == {"commonName": "compute3"}
    assert seen["version"] in ("TLSv1.2", "TLSv1.3")


def _edit_hosts(master, host, **values):
    path = master["pillar"] / "openstack" / "hosts.sls"
    data = yaml.safe_load(path.read_text())
    data["openstack"]["hosts"][host].update(values)
    path.write_text(yaml.safe_dump(data))


def _changed(before, after):
    return sorted(
        os.path.basename(path)
        for path in set(before) | set(after)
        if before.get(path) != after.get(path)
    )


def test_a_changed_address_makes_that_hosts_certificate_again(master):
    run = master["run"]()
    run["openstack.secrets"]()
    before = _files(master)
    old = tls.load_cert(_host_file(master, "compute2")["host"]["cert"])
    _edit_hosts(master, "compute2", ip="192.168.0.22")
    ret = run["openstack.secrets"](test=True)
    assert ret["generated"] == ["tls:host:compute2"]
    assert ret["tls"] == {
        "tls:host:compute2": "its names changed (now DNS:compute2, IP:192.168.0.22)"
    }
    assert _files(master) == before
    assert run["openstack.secrets"]()["generated"] == ["tls:host:compute2"]
    assert _changed(before, _files(master)) == ["compute2.sls"]
    new = tls.load_cert(_host_file(master, "compute2")["host"]["cert"])
    assert _names(new) == (["compute2"], ["192.168.0.22"])
    assert new.serial_number != old.serial_number
    assert _verify_server(
        _ca_cert(master), new, x509.IPAddress(ipaddress.ip_address("192.168.0.22"))
    )


def test_a_new_dashboard_name_makes_the_public_certificate_again(master):
    run = master["run"]()
    run["openstack.secrets"]()
    (master["pillar"] / "local.sls").write_text(
        yaml.safe_dump({"openstack": {"dashboard": {"allowed_hosts": ["cloud.example.org", "*"]}}})
    )
    ret = run["openstack.secrets"]()
    assert ret["generated"] == ["tls:public"]
    public = tls.load_cert(_host_file(master, "compute1")["public"]["cert"])
    assert _names(public) == (["cloud.example.org", "compute1", "gateway"], [PUBLIC_IP])


def _reissue(master, host, when, days=825, ca=None):
    """Put a certificate of ``when`` (signed by ``ca``, else the project
    CA) in ``host``'s file."""
    found = ca or tls.read_ca(_ca_dir(master))
    want = tls.wanted(openstack_of("guide"))[f"tls:host:{host}"]
    cert, key = tls.issue(found[0], found[1], want, when=when, days=days)
    path = master["pillar"] / "secrets" / "hosts" / f"{host}.sls"
    data = yaml.safe_load(path.read_text())
    data["openstack"]["tls"]["host"] = {"cert": cert, "key": key}
    path.write_text(yaml.safe_dump(data))
    os.chmod(path, 0o600)


def test_a_certificate_near_its_end_is_made_again(master):
    run = master["run"]()
    run["openstack.secrets"]()
    now = datetime.datetime.now(datetime.UTC)
    # 31 days left: kept; 29 days left: made again
    _reissue(master, "compute3", now - datetime.timedelta(days=825 - 31))
    _reissue(master, "compute4", now - datetime.timedelta(days=825 - 29))
    ret = run["openstack.secrets"](test=True)
    assert ret["generated"] == ["tls:host:compute4"]
    assert ret["tls"]["tls:host:compute4"].endswith("(within 30 days)")
    before = _files(master)
    run["openstack.secrets"]()
    assert _changed(before, _files(master)) == ["compute4.sls"]
    renewed = tls.load_cert(_host_file(master, "compute4")["host"]["cert"])
    assert renewed.not_valid_after_utc - now > datetime.timedelta(days=800)


def test_a_certificate_another_ca_signed_is_made_again(master, tmp_path):
    run = master["run"]()
    run["openstack.secrets"]()
    _reissue(master, "controller", None, ca=tls.make_ca(str(tmp_path / "other-ca")))
    ret = run["openstack.secrets"]()
    assert ret["tls"] == {"tls:host:controller": "not signed by the project CA"}
    leaf = tls.load_cert(_host_file(master, "controller")["host"]["cert"])
    leaf.verify_directly_issued_by(_ca_cert(master))


def test_each_hosts_key_reaches_only_that_host(master):
    """Like the secrets (tests/integration: test_secrets_reach_only_the_host_map),
    but per host: pillar/top.sls gives pillar/secrets/hosts/<host>.sls to
    that minion alone; the master (outside the map) gets none of it."""
    master["run"]()["openstack.secrets"]()
    keys = _all_keys(master)
    for host in GUIDE:
        compiled = _pillar(master, host)
        mine = compiled["openstack"]["tls"]
        assert mine["host"]["key"] == keys[host]
        assert host in _names(tls.load_cert(mine["host"]["cert"]))[0]
        others = {name: pem for name, pem in keys.items() if name not in (host, "ca")}
        if host == "compute1":
            assert mine["public"]["key"] == others.pop("public")
        else:
            assert mine.get("public") is None
        _assert_no_key(_text(compiled), others, armour=False)
    outside = _pillar(master, "master")
    assert "tls" not in outside.get("openstack", {})
    _assert_no_key(_text(outside), keys)


def test_nothing_returned_or_logged_holds_a_key(master, caplog):
    run = master["run"]()
    with caplog.at_level(logging.DEBUG):
        returns = [run["openstack.secrets"](test=True), run["openstack.secrets"]()]
        _edit_hosts(master, "compute3", ip="192.168.0.33")
        returns += [run["openstack.secrets"](test=True), run["openstack.secrets"]()]
        returns += [run["openstack.ca"](), run["openstack.validate"]()]
    keys = _all_keys(master)
    _assert_no_key(_text(returns), keys)
    _assert_no_key(caplog.text, keys)


# --- openstack.ca ---------------------------------------------------------------------


def test_openstack_ca_prints_the_certificate(master):
    run = master["run"]()
    with pytest.raises(
        CommandExecutionError, match="no project CA in .* yet: `salt-run openstack.secrets`"
    ):
        run["openstack.ca"]()
    run["openstack.secrets"]()
    printed = run["openstack.ca"]()
    with open(os.path.join(_ca_dir(master), "ca.crt"), encoding="utf-8") as fh_:
        assert printed == fh_.read()
    assert printed.startswith("-----BEGIN CERTIFICATE-----\n")
    assert printed.count("-----BEGIN") == 1
    assert x509.load_pem_x509_certificate(printed.encode()) == _ca_cert(master)


# --- The user's certificate for the public name -------------------------------------


def _own_cert(ips=(PUBLIC_IP,), dns=("cloud.example.org",), days=(-1, 90), usage=None, key=None):
    """A certificate the user brought (self-signed: no CA of ours), and its key."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cloud.example.org")])
    san = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=days[0]))
        .not_valid_after(now + datetime.timedelta(days=days[1]))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    )


def _encrypted(key_pem):
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    ).decode()


def _bad_inputs():
    cert, key = _own_cert()
    other_cert, other_key = _own_cert()
    chain = cert + other_cert
    return [
        (
            "only-a-cert",
            {"cert": cert},
            ["openstack:tls:public:key: missing: openstack:tls:public:cert is set"],
        ),
        (
            "only-a-key",
            {"key": key},
            ["openstack:tls:public:cert: missing: openstack:tls:public:key is set"],
        ),
        (
            "not-a-cert",
            {
                "cert": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----",
                "key": key,
            },
            ["openstack:tls:public:cert: not a PEM certificate"],
        ),
        (
            "a-key-as-cert",
            {"cert": key, "key": key},
            ["openstack:tls:public:cert: not a PEM certificate"],
        ),
        (
            "not-a-key",
            {"cert": cert, "key": "a password, not a key"},
            ["openstack:tls:public:key: not a PEM private key"],
        ),
        (
            "encrypted-key",
            {"cert": cert, "key": _encrypted(key)},
            ["openstack:tls:public:key: the key is encrypted: give it without a passphrase"],
        ),
        (
            "another-certs-key",
            {"cert": cert, "key": other_key},
            ["openstack:tls:public:key: is not the key of openstack:tls:public:cert"],
        ),
        (
            "another-address",
            dict(zip(("cert", "key"), _own_cert(ips=("203.0.113.5",)), strict=True)),
            [
                f"openstack:tls:public:cert: does not name openstack:public_ip {PUBLIC_IP} in its "
                "subjectAltName (DNS:cloud.example.org, IP:203.0.113.5)"
            ],
        ),
        (
            "expired",
            dict(zip(("cert", "key"), _own_cert(days=(-100, -1)), strict=True)),
            ["openstack:tls:public:cert: expired on "],
        ),
        (
            "not-yet-valid",
            dict(zip(("cert", "key"), _own_cert(days=(2, 100)), strict=True)),
            ["openstack:tls:public:cert: not valid before "],
        ),
        (
            "client-only",
            dict(
                zip(
                    ("cert", "key"), _own_cert(usage=[ExtendedKeyUsageOID.CLIENT_AUTH]), strict=True
                )
            ),
            ["openstack:tls:public:cert: its extendedKeyUsage has no serverAuth"],
        ),
        # the chain after the certificate is fine; the key is the first one's
        (
            "chain-with-wrong-key",
            {"cert": chain, "key": other_key},
            ["openstack:tls:public:key: is not the key of"],
        ),
    ]


BAD = _bad_inputs()


@pytest.mark.parametrize("public,expected", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_public_certificate_is_refused_by_its_key(public, expected):
    data = openstack_of("guide")
    data["tls"] = {"public": public}
    problems = runner.check({"openstack": data})
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), problem
    keys = {k: v for k, v in public.items() if k == "key" and "PRIVATE KEY" in v}
    _assert_no_key("\n".join(problems), keys)


def test_a_good_public_certificate_has_no_problem():
    cert, key = _own_cert()
    chained = cert + _own_cert()[0]
    for given in (cert, chained):
        data = openstack_of("guide")
        data["tls"] = {"public": {"cert": given, "key": key}, "internal": False}
        assert runner.check({"openstack": data}) == []


def test_tls_internal_is_a_boolean():
    data = openstack_of("guide")
    data["tls"] = {"internal": "yes"}
    assert runner.check({"openstack": data}) == [
        "openstack:tls:internal: 'yes' is not true or false"
    ]


def test_the_users_public_certificate_replaces_the_generated_one(master):
    run = master["run"]()
    run["openstack.secrets"]()
    generated = _host_file(master, "compute1")["public"]
    cert, key = _own_cert()
    (master["pillar"] / "local.sls").write_text(
        yaml.safe_dump({"openstack": {"tls": {"public": {"cert": cert, "key": key}}}})
    )
    assert run["openstack.validate"]()["result"] is True
    ret = run["openstack.secrets"]()
    assert ret["tls"] == {"tls:public": "removed from compute1: the pillar gives it"}
    # the generated key is gone from the gateway's file; its pillar has the user's
    assert "public" not in _host_file(master, "compute1")
    gateway = _pillar(master, "compute1")["openstack"]["tls"]
    assert gateway["public"] == {"cert": cert, "key": key}
    assert gateway["host"]["key"] != key
    _assert_no_key(
        _text(_pillar(master, "compute1")), {"generated": generated["key"]}, armour=False
    )
    assert run["openstack.secrets"]()["generated"] == []

    # a bad one stops the orchestration at validation, by its key
    _, other_key = _own_cert()
    (master["pillar"] / "local.sls").write_text(
        yaml.safe_dump({"openstack": {"tls": {"public": {"cert": cert, "key": other_key}}}})
    )
    ret = run["openstack.validate"]()
    assert ret["result"] is False and ret["retcode"] == 1
    assert [p.split(" (")[0] for p in ret["problems"]] == [
        "openstack:tls:public:key: is not the key of openstack:tls:public:cert"
    ]
    _assert_no_key(_text(ret), {"given": other_key})

    # gone from the pillar: a generated one again
    (master["pillar"] / "local.sls").unlink()
    assert run["openstack.secrets"]()["tls"] == {"tls:public": "missing"}
    assert _names(tls.load_cert(_host_file(master, "compute1")["public"]["cert"]))[1] == [PUBLIC_IP]


def test_a_generated_public_certificate_is_not_checked_as_the_users(master):
    """On a one-host cloud the controller is the gateway: its pillar has
    the generated public certificate, which validation leaves to stage 1
    (it makes it again once public_ip changes)."""
    (master["pillar"] / "openstack" / "hosts.sls").write_text(
        yaml.safe_dump(
            {
                "openstack": {
                    "hosts": {
                        "allinone": {
                            "ip": "192.168.0.5",
                            "roles": ["controller", "compute", "gateway"],
                            "interfaces": {"lan": "eth0", "public": "eth1", "provider": "eth2"},
                        }
                    }
                }
            }
        )
    )
    (master["pillar"] / "local.sls").write_text(
        yaml.safe_dump({"openstack": {"storage": {"replica": 1}}})
    )
    run = master["run"]()
    assert run["openstack.secrets"]()["generated"][-1] == "tls:public"
    assert _pillar(master, "allinone")["openstack"]["tls"]["public"]["cert"]
    cloud = master["pillar"] / "openstack" / "cloud.sls"
    data = yaml.safe_load(cloud.read_text())
    data["openstack"]["public_ip"] = "128.250.26.162"
    cloud.write_text(yaml.safe_dump(data))
    assert run["openstack.validate"]()["problems"] == []
    assert run["openstack.secrets"]()["tls"] == {
        "tls:public": "its names changed (now DNS:allinone, IP:128.250.26.162)"
    }
