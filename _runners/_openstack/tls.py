"""
The project's CA and the certificates it signs (issue 13, part 3), made on
the master by ``openstack.secrets`` with the ``cryptography`` library (a
dependency of Salt itself).

- The CA: an EC P-256 key and a self-signed certificate valid 10 years
  (basicConstraints CA:true, pathlen 0; keyUsage keyCertSign, cRLSign),
  made once in the master's CA directory (``ca_dir``: the master option
  ``openstack_ca_dir``, else ``openstack-ca`` beside the master's
  ``pki_dir``, in the checkout ``.run/etc/salt/pki/openstack-ca``; git
  ignores ``.run/``). Its key (``ca.key``, 0600 in a 0700 directory) never
  leaves the master: nothing pillar or the file server serves is there
  (validation refuses a directory under a pillar or file root). It is never
  made again while either file is there.
- One certificate per host of the host map, for the LAN (internal TLS,
  GlusterFS): subject CN the host name (GlusterFS's ``auth.ssl-allow``
  names certificates by CN), subjectAltName its name, its aliases and its
  LAN address.
- One for the public endpoints on the gateway: subjectAltName
  ``openstack:public_ip``, the gateway's name and aliases and the names of
  ``openstack:dashboard:allowed_hosts``; unless the pillar gives one
  (``openstack:tls:public:cert`` and ``key``), which is used as it is and
  checked by validation (``check``).

Every leaf: EC P-256, serverAuth and clientAuth, 825 days at most, made
again when it is missing, when its names are not the wanted ones, when it
expires within 30 days, or when the project CA did not sign it.

Where they go: ``pillar/secrets/hosts/<host>.sls`` (mode 0600, git
ignores ``pillar/secrets/``), which ``pillar/top.sls`` gives to that minion
only, holds ``openstack:tls:ca_cert`` (the CA certificate),
``openstack:tls:host:cert`` and ``key`` (the host's own) and, the
gateway's only, ``openstack:tls:public:cert`` and ``key``. Nothing here
logs or returns a key: only the names of what was made and why.
"""

import datetime
import ipaddress
import os
import re

import salt.utils.yaml
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import data as _data

CA_KEY = "ca.key"
CA_CERT = "ca.crt"
# The per-host files, under the pillar root (pillar/top.sls names them).
HOSTS_DIR = os.path.join("secrets", "hosts")

CA_DAYS = 3650
LEAF_DAYS = 825  # the most a TLS client (Apple's, since 2019) accepts
RENEW_DAYS = 30
# Clocks of freshly built hosts may lag the master's a little.
BACKDATE = datetime.timedelta(minutes=5)

# The names of what is made, as openstack.secrets reports them.
CA_ITEM = "tls:ca"
PUBLIC_ITEM = "tls:public"
HOST_ITEM = "tls:host:{}"

PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----")
# A name a certificate can hold (ASCII; a wildcard only as the first label).
DNS_NAME = re.compile(r"^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$")


def now():
    return datetime.datetime.now(datetime.UTC)


def ca_dir(opts):
    """The master's CA directory: the master option ``openstack_ca_dir``,
    else ``openstack-ca`` beside the master's ``pki_dir``."""
    configured = opts.get("openstack_ca_dir")
    if configured:
        return os.path.abspath(configured)
    return os.path.join(os.path.dirname(os.path.normpath(opts["pki_dir"])), "openstack-ca")


def served_roots(opts):
    """Every directory the master serves from: pillar and file roots."""
    roots = []
    for option in ("pillar_roots", "file_roots"):
        for paths in (opts.get(option) or {}).values():
            roots.extend(os.path.realpath(p) for p in paths or [])
    return roots


def _under(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


# --- Reading and writing PEM ---------------------------------------------------


def _key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _spki(public_key):
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_cert(pem):
    """The first certificate of a PEM text (ValueError if none)."""
    if not isinstance(pem, str) or not PEM_CERT.search(pem):
        raise ValueError("no PEM certificate")
    return x509.load_pem_x509_certificates(pem.encode())[0]


def load_key(pem):
    """A PEM private key without a passphrase (ValueError, TypeError or
    UnsupportedAlgorithm when it is not one)."""
    if not isinstance(pem, str):
        raise ValueError("not a PEM text")
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _write(path, text, mode):
    """Write ``text`` to ``path`` (mode ``mode``) in one rename."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd_ = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd_, "w", encoding="utf-8") as fh_:
            fh_.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- The CA ----------------------------------------------------------------------


class CAError(Exception):
    """The CA directory holds something this module will not use."""


def read_ca(directory):
    """(key, cert) of the CA in ``directory``, or None when neither file is
    there. CAError when only one is, or they do not belong together: the CA
    is never made again over what is there."""
    key_path = os.path.join(directory, CA_KEY)
    cert_path = os.path.join(directory, CA_CERT)
    have = [p for p in (key_path, cert_path) if os.path.exists(p)]
    if not have:
        return None
    if len(have) == 1:
        missing = cert_path if have[0] == key_path else key_path
        raise CAError(
            f"{have[0]} is there but {missing} is not: restore it (the CA is never made again "
            "over part of one), or remove the directory for a new CA, whose certificates "
            "every host must then trust anew"
        )
    try:
        with open(cert_path, encoding="utf-8") as fh_:
            cert = load_cert(fh_.read())
    except (OSError, ValueError) as exc:
        raise CAError(f"{cert_path}: not a PEM certificate ({exc})") from None
    try:
        with open(key_path, encoding="utf-8") as fh_:
            key = load_key(fh_.read())
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm):
        raise CAError(f"{key_path}: not a PEM private key without a passphrase") from None
    if _spki(key.public_key()) != _spki(cert.public_key()):
        raise CAError(f"{key_path} is not the key of {cert_path}")
    return key, cert


def _key_usage(**allowed):
    """keyUsage with only the named usages set (the CA: key_cert_sign and
    crl_sign; a leaf: digital_signature, what ECDSA signs a handshake with)."""
    usages = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    unknown = set(allowed) - set(usages)
    if unknown:
        raise ValueError(f"no key usage {sorted(unknown)}")
    usages.update(allowed)
    return x509.KeyUsage(**usages)


def make_ca(directory, when=None):
    """Make the CA in ``directory`` (0700; ca.key 0600, ca.crt 0644); never
    over an existing file. Returns (key, cert)."""
    when = when or now()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "openstack-salt"),
            # unique, so two clouds' CAs are told apart in one trust store
            x509.NameAttribute(NameOID.COMMON_NAME, f"openstack-salt CA {os.urandom(4).hex()}"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(when - BACKDATE)
        .not_valid_after(when - BACKDATE + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(key_cert_sign=True, crl_sign=True),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path = os.path.join(directory, CA_KEY)
    # O_EXCL: never over a key that appeared meanwhile
    fd_ = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd_, "w", encoding="utf-8") as fh_:
        fh_.write(_key_pem(key))
    os.chmod(key_path, 0o600)
    _write(os.path.join(directory, CA_CERT), _cert_pem(cert), 0o644)
    return key, cert


def read_ca_cert(directory):
    """The CA's certificate (PEM) as ``ca.crt`` holds it, or None."""
    path = os.path.join(directory, CA_CERT)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh_:
            return _cert_pem(load_cert(fh_.read()))
    except (OSError, ValueError) as exc:
        raise CAError(f"{path}: not a PEM certificate ({exc})") from None


def ca_pem(cert):
    return _cert_pem(cert)


def ca_problems(opts):
    """The master's CA directory: not under a root the master serves, and
    a whole CA or none. Each problem names the master option."""
    problems = []
    directory = ca_dir(opts)
    real = os.path.realpath(directory)
    for root in served_roots(opts):
        if _under(real, root):
            problems.append(
                f"openstack_ca_dir (master option): {directory} is under {root}, which the "
                "master serves: the CA's key must stay on the master; choose a directory "
                "outside every pillar and file root"
            )
    try:
        read_ca(directory)
    except CAError as exc:
        problems.append(f"openstack_ca_dir (master option): {exc}")
    return problems


# --- The leaves --------------------------------------------------------------------


def _ip(value):
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        return None


def _names(dns, ips):
    """A certificate's names, comparable: (DNS names lowercased, IPs)."""
    return (
        tuple(sorted({d.lower() for d in dns})),
        tuple(sorted({ipaddress.ip_address(i) for i in ips}, key=lambda a: (a.version, a))),
    )


def _allowed_host_names(allowed):
    """Django's ALLOWED_HOSTS entries as certificate names: an address is an
    IP name, ``.example.org`` is example.org and *.example.org, ``*``
    (anything) and what is not a DNS name name nothing."""
    dns, ips = [], []
    for entry in allowed if isinstance(allowed, list) else []:
        if not isinstance(entry, str) or not entry or entry == "*":
            continue
        if _ip(entry) is not None:
            ips.append(str(_ip(entry)))
        elif entry.startswith(".") and DNS_NAME.match(entry[1:]):
            dns += [entry[1:], "*" + entry]
        elif DNS_NAME.match(entry):
            dns.append(entry)
    return dns, ips


def wanted(openstack, user_public=False):
    """item -> what its certificate must name ({"host", "cn", "dns", "ip"}),
    from the effective data: one per host of the map (tls:host:<host>) and
    the gateway's public one (tls:public) unless ``user_public``. A value
    validation refuses (an address that is not one) is left out."""
    hosts = openstack.get("hosts") if isinstance(openstack.get("hosts"), dict) else {}
    items = {}
    gateway = None
    for name, entry in sorted(hosts.items()):
        host = entry if isinstance(entry, dict) else {}
        aliases = [a for a in host.get("aliases") or [] if isinstance(a, str) and a]
        ip = _ip(host.get("ip"))
        items[HOST_ITEM.format(name)] = {
            "host": name,
            "cn": name,
            "dns": [name, *aliases],
            "ip": [str(ip)] if ip else [],
        }
        if gateway is None and "gateway" in (host.get("roles") or []):
            gateway = name
    if gateway is not None and not user_public:
        public_ip = _ip(openstack.get("public_ip"))
        dns, ips = _allowed_host_names((openstack.get("dashboard") or {}).get("allowed_hosts"))
        gw_names = items[HOST_ITEM.format(gateway)]["dns"]
        items[PUBLIC_ITEM] = {
            "host": gateway,
            "cn": str(public_ip) if public_ip else gateway,
            "dns": list(dict.fromkeys([*gw_names, *dns])),
            "ip": list(dict.fromkeys(([str(public_ip)] if public_ip else []) + ips)),
        }
    return items


def issue(ca_key, ca_cert, want, when=None, days=LEAF_DAYS):
    """A new key and a certificate for ``want`` signed by the CA:
    (cert PEM, key PEM)."""
    when = when or now()
    key = ec.generate_private_key(ec.SECP256R1())
    not_before = when - BACKDATE
    not_after = min(not_before + datetime.timedelta(days=days), ca_cert.not_valid_after_utc)
    san = [x509.DNSName(d) for d in want["dns"]]
    san += [x509.IPAddress(ipaddress.ip_address(i)) for i in want["ip"]]
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, want["cn"])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(digital_signature=True),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return _cert_pem(cert), _key_pem(key)


def cert_names(cert):
    """(DNS names, IP addresses) of a certificate's subjectAltName."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return san.get_values_for_type(x509.DNSName), [
        str(a) for a in san.get_values_for_type(x509.IPAddress)
    ]


def _shown_names(dns, ips):
    return ", ".join([f"DNS:{d}" for d in dns] + [f"IP:{i}" for i in ips]) or "none"


def _unusable(current, ca_cert):
    """Why a certificate and key ({"cert", "key"} PEM, or None) cannot be
    kept whatever it names, or None; and the certificate."""
    current = current if isinstance(current, dict) else {}
    if not current.get("cert") or not current.get("key"):
        return "missing", None
    try:
        cert = load_cert(current["cert"])
        key = load_key(current["key"])
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return "unreadable", None
    if _spki(key.public_key()) != _spki(cert.public_key()):
        return "its key is not the certificate's", None
    if ca_cert is None:
        return "the project CA is new", None
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return "not signed by the project CA", None
    return None, cert


def stale(current, want, ca_cert, when=None):
    """Why the certificate and key ``current`` ({"cert", "key"} PEM, or
    None) must be made again for ``want``, or None when they are good."""
    when = when or now()
    why, cert = _unusable(current, ca_cert)
    if why:
        return why
    dns, ips = cert_names(cert)
    if _names(dns, ips) != _names(want["dns"], want["ip"]):
        return f"its names changed (now {_shown_names(want['dns'], want['ip'])})"
    if cert.not_valid_after_utc - when <= datetime.timedelta(days=RENEW_DAYS):
        return f"it expires {cert.not_valid_after_utc:%Y-%m-%d} (within {RENEW_DAYS} days)"
    return None


# --- The per-host pillar files -----------------------------------------------------


def host_file(pillar_dir, host):
    return os.path.join(pillar_dir, HOSTS_DIR, f"{host}.sls")


def read_host_file(pillar_dir, host):
    """The ``openstack:tls`` mapping of a host's generated file ({} if none)."""
    path = host_file(pillar_dir, host)
    if not os.path.exists(path):
        return {}
    tls = ((_data.read_yaml(path) or {}).get("openstack") or {}).get("tls")
    return tls if isinstance(tls, dict) else {}


def current_of(files, item, want):
    """What the files hold for ``item``: the host's own, or the gateway's
    public one."""
    tls = files.get(want["host"]) or {}
    return tls.get("public") if item == PUBLIC_ITEM else tls.get("host")


def generated_public(pillar_dir, hosts):
    """The generated public certificate (PEM) in any host's file, or None."""
    for host in hosts:
        public = read_host_file(pillar_dir, host).get("public")
        if isinstance(public, dict) and public.get("cert"):
            return public["cert"]
    return None


def user_public(openstack, generated_cert):
    """True when the pillar's ``openstack:tls:public`` is the user's (set,
    and not the generated one)."""
    public = (openstack.get("tls") or {}).get("public")
    if not isinstance(public, dict):
        return False
    if not (public.get("cert") or public.get("key")):
        return False
    return public.get("cert") != generated_cert


HEADER = (
    "# Generated by `salt-run openstack.secrets` for {host} only (pillar/top.sls\n"
    "# gives it to that minion): the project CA's certificate and {what}.\n"
    "# Never committed (git ignores pillar/secrets/); made again when a\n"
    "# certificate's names change or it nears its end.\n"
)


def ensure(openstack, directory, pillar_dir, make, when=None):
    """
    What the project's TLS material lacks, and with ``make`` what is made:
    item -> why (``tls:ca``, ``tls:public``, ``tls:host:<host>``). The CA
    in ``directory`` (made only when neither of its files is there; CAError
    otherwise), each host's file under ``pillar_dir``. ``openstack``: the
    effective data of a host of the map (pillar/local.sls included).
    """
    when = when or now()
    hosts = sorted(openstack.get("hosts") or {}) if isinstance(openstack.get("hosts"), dict) else []
    files = {host: read_host_file(pillar_dir, host) for host in hosts}
    users = user_public(openstack, generated_public(pillar_dir, hosts))
    wants = wanted(openstack, user_public=users)
    reasons = {}
    ca = read_ca(directory)
    if ca is None:
        reasons[CA_ITEM] = f"new, in {directory}"
        if make:
            ca = make_ca(directory, when)
    ca_cert = ca[1] if ca else None
    for item, want in wants.items():
        why = stale(current_of(files, item, want), want, ca_cert, when)
        if why:
            reasons[item] = why
    stray = [
        h
        for h, tls in files.items()
        if tls.get("public") and h != (wants.get(PUBLIC_ITEM) or {}).get("host")
    ]
    if stray and PUBLIC_ITEM not in reasons:
        where = ", ".join(stray)
        reasons[PUBLIC_ITEM] = (
            f"removed from {where}: the pillar gives it" if users else f"moved from {where}"
        )
    if not make:
        return reasons
    made = {}
    for item, want in wants.items():
        made[item] = (
            dict(zip(("cert", "key"), issue(ca[0], ca_cert, want, when), strict=True))
            if item in reasons
            else current_of(files, item, want)
        )
    os.makedirs(os.path.join(pillar_dir, HOSTS_DIR), mode=0o700, exist_ok=True)
    os.chmod(os.path.join(pillar_dir, HOSTS_DIR), 0o700)
    for host in hosts:
        content = {"ca_cert": _cert_pem(ca_cert), "host": made[HOST_ITEM.format(host)]}
        public = wants.get(PUBLIC_ITEM)
        if public and public["host"] == host:
            content["public"] = made[PUBLIC_ITEM]
        if content == files[host] and os.stat(host_file(pillar_dir, host)).st_mode & 0o777 == 0o600:
            continue
        what = "the host's certificate and key"
        if "public" in content:
            what = "the host's and the public endpoints' certificates and keys"
        text = HEADER.format(host=host, what=what)
        text += salt.utils.yaml.safe_dump({"openstack": {"tls": content}}, default_flow_style=False)
        _write(host_file(pillar_dir, host), text, 0o600)
    return reasons


# --- Validation ----------------------------------------------------------------------


KEY = "openstack:tls"


def check(openstack, problems, when=None):
    """The checks of ``openstack:tls`` in the effective data, each problem
    naming its key: ``internal`` a boolean; a certificate and key given for
    the public name parse, belong together, name openstack:public_ip and
    are valid now. No message shows a key."""
    tls = openstack.get("tls")
    if tls is None:
        return
    if not isinstance(tls, dict):
        problems.append(f"{KEY}: must be a mapping (internal, public, ...)")
        return
    internal = tls.get("internal")
    if not isinstance(internal, bool):
        problems.append(f"{KEY}:internal: '{internal}' is not true or false")
    public = tls.get("public")
    if public is not None and not isinstance(public, dict):
        problems.append(f"{KEY}:public: must be a mapping (cert, key)")
    elif public and (public.get("cert") or public.get("key")):
        _check_public(openstack, public, problems, when or now())


def _check_public(openstack, public, problems, when):
    """The user's certificate and key for the public name."""
    cert_pem, key_pem = public.get("cert"), public.get("key")
    if not cert_pem or not key_pem:
        given, lacking = ("cert", "key") if cert_pem else ("key", "cert")
        problems.append(
            f"{KEY}:public:{lacking}: missing: {KEY}:public:{given} is set, and a certificate "
            "and its key go together (set both, PEM, or neither for a generated one)"
        )
        return
    private = None
    try:
        private = load_key(key_pem)
    except TypeError:
        problems.append(f"{KEY}:public:key: the key is encrypted: give it without a passphrase")
    except (ValueError, UnsupportedAlgorithm):
        # the parser's message may quote the input: not shown
        problems.append(f"{KEY}:public:key: not a PEM private key")
    try:
        cert = load_cert(cert_pem)
    except ValueError as exc:
        problems.append(f"{KEY}:public:cert: not a PEM certificate ({exc})")
        return
    if private is not None and _spki(private.public_key()) != _spki(cert.public_key()):
        problems.append(
            f"{KEY}:public:key: is not the key of {KEY}:public:cert (their public keys differ)"
        )
    public_ip = _ip(openstack.get("public_ip"))
    dns, ips = cert_names(cert)
    if public_ip is not None and str(public_ip) not in ips:
        problems.append(
            f"{KEY}:public:cert: does not name openstack:public_ip {public_ip} in its "
            f"subjectAltName ({_shown_names(dns, ips)})"
        )
    if cert.not_valid_after_utc < when:
        problems.append(f"{KEY}:public:cert: expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    elif cert.not_valid_before_utc > when:
        problems.append(
            f"{KEY}:public:cert: not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and ExtendedKeyUsageOID.SERVER_AUTH not in usage:
        problems.append(
            f"{KEY}:public:cert: its extendedKeyUsage has no serverAuth: clients refuse it "
            "for a server"
        )
