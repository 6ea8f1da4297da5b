"""
The cloud's security audit, on its hosts (issue 13): what DESIGN.md's
security model promises, looked at on a live cloud. Each function is one
check and returns ``{"result": True|False|None, "comment": ...}`` (None:
skipped, with why); ``_states/openstack_audit.py`` times it and prints
PASS, FAIL or SKIP with what was found. ``salt-run state.orchestrate
openstack.audit`` (``salt/openstack/audit.sls``) runs them all; the
expectations come in as arguments, rendered on the master from
``openstack:firewall:services`` (``salt/firewall/services.jinja``'s
``served_by``), never from a list kept here.

- :func:`listening`: every listening socket is one the host's role serves;
- :func:`firewall`: the live nftables table is the one the states loaded;
- :func:`denied`: an attempt from a host that is not supposed to get in
  fails (RabbitMQ's guest, MariaDB's root, memcached, libvirt over TCP);
- :func:`gluster_auth_allow`: the volume admits the host map's addresses only;
- :func:`secret_files`: every file holding a secret is 0640 or stricter,
  root:<service group>;
- :func:`keystone_users`, :func:`rabbitmq_users`, :func:`mariadb_root`: no
  default password anywhere.

Secrets are read from this minion's own pillar at the moment of the check
(an argument ``{"pillar": "openstack:secrets:..."}`` names one) and are
never returned, logged or put on a command line; a finding names the
secret, never its value.
"""

import grp
import json
import logging
import os
import pwd
import ssl
import stat
import urllib.error
import urllib.request

import salt.utils.data
import salt.utils.path
from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    # Shared with the runner's audit steps, from Salt's utils directory.
    import audit_checks
    import audit_probes
    import audit_tls
except ImportError:
    audit_checks = audit_probes = audit_tls = None

log = logging.getLogger(__name__)

__virtualname__ = "openstack_audit"

STATE_DIR = "/var/lib/openstack-salt"
TABLE = "inet openstack_salt"
# The secrets' pillar key (each host of the map has them).
SECRETS = "openstack:secrets"
# A file larger than this is not read for secrets (no config file is).
MAX_BYTES = 1 << 20


def __virtual__():
    if audit_checks is None or audit_probes is None or audit_tls is None:
        return (
            False,
            "openstack_audit: _utils/audit_checks.py, audit_probes.py and audit_tls.py "
            "are not synced",
        )
    if "cmd.run_all" not in __salt__:
        return (False, "openstack_audit: the cmd module is not available")
    return __virtualname__


def _ret(result, comment):
    return {"result": result, "comment": comment}


def _run(cmd, what):
    out = __salt__["cmd.run_all"](
        cmd, python_shell=False, output_loglevel="quiet", ignore_retcode=True
    )
    if out["retcode"] != 0:
        raise CommandExecutionError(
            f"{what}: {(out.get('stderr') or out.get('stdout') or '').strip()}"
        )
    return out["stdout"]


def _secret(value, what):
    """A credential argument: ``{"pillar": KEY}`` read from this minion's
    pillar, or the literal (a default like guest's ``guest``)."""
    if isinstance(value, dict) and set(value) == {"pillar"}:
        found = salt.utils.data.traverse_dict_and_list(
            __pillar__, value["pillar"], default=None, delimiter=":"
        )
        if found in (None, ""):
            raise CommandExecutionError(
                f"{what}: pillar {value['pillar']} is not in this minion's pillar"
            )
        return str(found)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise SaltInvocationError(f"{what}: a string or {{pillar: KEY}}, not {value!r}")
    return str(value)


# --- a: listening sockets ------------------------------------------------------


def listening(expected):
    """
    Every listening socket (``ss -H -l -n -t -u -p``: TCP listeners and
    unconnected UDP sockets, with their processes) is one the host's role
    serves: a ``served_by`` entry of the same protocol whose ports hold the
    port, bound where the entry binds (lan: the host's LAN address;
    loopback: a loopback address; any, public: anywhere). Fails on a socket
    on a non-loopback address no entry expects there, and on a TCP entry
    without ``when`` that nothing serves. A loopback socket no entry lists
    is local only: reported, not a failure. Entries with ``when`` (a
    migration, instances' consoles) may be absent.

    expected
        This host's ``served_by`` entries (salt/firewall/services.jinja).

    CLI Example:

    .. code-block:: bash

        salt compute2 openstack_audit.listening \
            '[{"name": "ssh", "proto": "tcp", "ports": [[22, 22]], "bind": "any"}]'
    """
    if not isinstance(expected, list):
        raise SaltInvocationError("expected: this host's served_by entries (a list)")
    sockets = audit_checks.parse_ss(
        _run(["ss", "-H", "-l", "-n", "-t", "-u", "-p"], "ss -H -l -n -t -u -p")
    )
    result, comment = audit_checks.listening_verdict(
        audit_checks.classify_sockets(sockets, expected)
    )
    return _ret(result, f"{len(sockets)} sockets; {comment}")


# --- b: the firewall table -------------------------------------------------------


def firewall(state_dir=STATE_DIR, table=TABLE):
    """
    The live nftables table (``nft -s list table inet openstack_salt``) is
    the one the states loaded (``<state_dir>/firewall.loaded``, written
    after each load): a rule deleted, added or moved by hand fails, naming
    each line missing and each line extra with its chain. The next
    highstate loads the table again.

    CLI Example:

    .. code-block:: bash

        salt compute2 openstack_audit.firewall
    """
    path = os.path.join(state_dir, "firewall.loaded")
    try:
        with open(path, encoding="utf-8") as handle:
            loaded = handle.read()
    except FileNotFoundError:
        return _ret(False, f"{path} is missing: the states never loaded the firewall here")
    except OSError as exc:
        raise CommandExecutionError(f"cannot read {path}: {exc}") from exc
    if not salt.utils.path.which("nft"):
        return _ret(False, "nft is not installed: no firewall table to compare")
    family_name = table.split()
    out = __salt__["cmd.run_all"](
        ["nft", "-s", "list", "table", *family_name],
        python_shell=False,
        output_loglevel="quiet",
        ignore_retcode=True,
    )
    if out["retcode"] != 0:
        message = (out.get("stderr") or "").strip().splitlines()
        return _ret(
            False, f"no table {table} in the kernel ({message[0] if message else out['retcode']})"
        )
    missing, extra = audit_checks.compare_listings(loaded, out["stdout"])
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} line(s) loaded but gone: " + "; ".join(missing))
        if extra:
            parts.append(f"{len(extra)} line(s) not loaded by the states: " + "; ".join(extra))
        return _ret(False, f"table {table} differs from {path}: " + " | ".join(parts))
    rules = len(audit_checks.listing_lines(loaded))
    return _ret(True, f"table {table} is the one loaded ({path}, {rules} lines)")


# --- c: attempts that must not get in --------------------------------------------


def denied(kind, address, ports, *, user=None, password=None, timeout=2):
    """
    An attempt from this host, which is not supposed to get in, fails:
    a refused or dropped connection (no answer within ``timeout`` seconds
    counts as dropped), an ICMP refusal, or the service refusing the
    credentials. A login accepted, an answer given, or a port connected
    fails the check.

    kind
        ``tcp`` (connect only: every port at once), ``amqp`` (AMQP 0-9-1
        PLAIN login: RabbitMQ), ``mysql`` (mysql_native_password login:
        MariaDB), ``memcached`` (``stats``).
    ports
        A port, or a list of ports.
    user, password
        The credentials (amqp, mysql); password a string or ``{"pillar":
        KEY}`` (read from this minion's pillar).

    CLI Example:

    .. code-block:: bash

        salt compute2 openstack_audit.denied amqp 192.168.0.5 5672 user=guest password=guest
        salt compute2 openstack_audit.denied tcp 192.168.0.3 '[16509, 16514]'
    """
    ports = ports if isinstance(ports, list) else [ports]
    timeout = float(timeout)
    if kind == "tcp":
        targets = [{"address": address, "port": int(p), "proto": "tcp"} for p in ports]
        outcomes = audit_probes.scan(targets, timeout=timeout)
    elif kind in ("amqp", "mysql", "memcached"):
        if len(ports) != 1:
            raise SaltInvocationError(f"denied: {kind} takes one port")
        port = int(ports[0])
        if kind == "amqp":
            outcomes = [
                audit_probes.amqp_login(
                    address, port, user or "", _secret(password, "password"), timeout
                )
            ]
        elif kind == "mysql":
            outcomes = [
                audit_probes.mysql_login(
                    address, port, user or "", _secret(password, "password"), timeout
                )
            ]
        else:
            outcomes = [audit_probes.memcached_stats(address, port, timeout)]
    else:
        raise SaltInvocationError(f"denied: kind {kind!r} is not tcp, amqp, mysql or memcached")
    seen = []
    for port, got in zip(ports, outcomes, strict=True):
        detail = f" ({got['detail']})" if got.get("detail") else ""
        seen.append(f"{address}:{port} {got['outcome']}{detail}")
    who = f" as {user}" if user else ""
    if all(audit_checks.kept_out(got["outcome"]) for got in outcomes):
        return _ret(True, f"kept out{who}: " + ", ".join(seen))
    return _ret(False, f"got in or could not tell{who}: " + ", ".join(seen))


def gluster_auth_allow(volume, addresses):
    """
    The volume's ``auth.allow`` is exactly the host map's addresses: a
    client from anywhere else is refused by the bricks, whatever the
    firewall lets through.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_audit.gluster_auth_allow vm-instances \
            '[192.168.0.1, 192.168.0.2]'
    """
    if "gluster.get_options" not in __salt__:
        return _ret(False, "the gluster module is not available (no gluster CLI here)")
    value = __salt__["gluster.get_options"](volume).get("auth.allow", "")
    have, want = audit_checks.address_list(value), sorted(set(addresses))
    if have == want:
        return _ret(True, f"{volume} auth.allow = {','.join(have)} (the host map)")
    missing, extra = sorted(set(want) - set(have)), sorted(set(have) - set(want))
    parts = [f"{volume} auth.allow = {value or '(unset)'}"]
    if extra:
        parts.append("beyond the host map: " + ", ".join(extra))
    if missing:
        parts.append("host map addresses missing: " + ", ".join(missing))
    return _ret(False, "; ".join(parts))


# --- d: files holding secrets ------------------------------------------------------


def _walk(paths):
    for top in paths:
        if os.path.isfile(top) and not os.path.islink(top):
            yield top
            continue
        for directory, _dirs, files in os.walk(top):
            for name in sorted(files):
                path = os.path.join(directory, name)
                if not os.path.islink(path):
                    yield path


def _name(table, key):
    try:
        return table(key)[0]
    except KeyError:
        return str(key)


def secret_files(paths, groups=None, max_bytes=MAX_BYTES):
    """
    Every regular file under ``paths`` (directories and files; symbolic
    links are not followed) that holds one of this host's pillar secrets
    (``openstack:secrets``, public keys aside) is 0640 or stricter, owned by
    root, and readable by its group only when that group is the service's:
    ``groups`` (path -> group: the states' config files and their groups),
    root's otherwise. A file of a service user's own (nova's SSH key) may
    belong to that user when it is 0600 or stricter. The finding names the
    files and the secrets they hold, never a value.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_audit.secret_files '[/etc/nova, /root]' \
            '{"/etc/nova/nova.conf": "nova"}'
    """
    groups = groups or {}
    secrets = salt.utils.data.traverse_dict_and_list(__pillar__, SECRETS, {}, delimiter=":")
    needles = audit_checks.secret_needles(secrets)
    if not needles:
        return _ret(False, f"no secrets in this minion's pillar ({SECRETS}): nothing to look for")
    holding, problems, scanned = [], [], 0
    for path in _walk([p for p in paths if os.path.exists(p)]):
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
                continue
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        scanned += 1
        names = audit_checks.secrets_in(data, needles)
        if not names:
            continue
        owner, group = _name(pwd.getpwuid, info.st_uid), _name(grp.getgrgid, info.st_gid)
        problem = audit_checks.mode_problem(info.st_mode, owner, group, groups.get(path))
        text = f"{path} {stat.S_IMODE(info.st_mode):04o} {owner}:{group} ({', '.join(names)})"
        holding.append(text)
        if problem:
            problems.append(f"{path} {problem} ({', '.join(names)})")
    where = f"{scanned} files under {', '.join(paths)}"
    if problems:
        return _ret(False, f"{len(problems)} exposed: " + "; ".join(problems) + f" [{where}]")
    if not holding:
        return _ret(True, f"no file holds a secret [{where}]")
    return _ret(True, f"{len(holding)} hold secrets, each protected: " + "; ".join(holding))


# --- e: no default password -----------------------------------------------------------


def _token(auth_url, user, password, timeout, context=None):
    body = json.dumps(audit_tls.password_auth(user, password)).encode()
    request = urllib.request.Request(
        auth_url.rstrip("/") + "/auth/tokens",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError) as exc:
        raise CommandExecutionError(f"Keystone at {auth_url}: {exc}") from exc


def keystone_users(auth_url, users, timeout=10, cafile=None):
    """
    Each user logs in to Keystone (``POST /v3/auth/tokens``, domain Default,
    unscoped) with its password from pillar: every service user has the
    generated password, none a default.

    users
        user name -> its password's pillar key (``openstack:secrets:nova_password``).

    cafile
        The CA certificate an https ``auth_url`` is checked against (the
        project CA: Salt's Python does not read the system's store).

    CLI Example:

    .. code-block:: bash

        salt controller openstack_audit.keystone_users http://controller:5000/v3 \
            '{"nova": "openstack:secrets:nova_password"}'
    """
    context = ssl.create_default_context(cafile=cafile) if cafile else None
    passed, failed = [], []
    for user, key in sorted(users.items()):
        status = _token(
            auth_url, user, _secret({"pillar": key}, user), float(timeout), context=context
        )
        (passed if status == 201 else failed).append(f"{user} ({status})")
    if failed:
        return _ret(False, "refused their pillar password: " + ", ".join(failed))
    return _ret(
        True, f"{len(passed)} users log in with their pillar password: " + ", ".join(passed)
    )


def rabbitmq_users(absent=("guest",)):
    """
    RabbitMQ has none of the default users (``guest``):
    ``rabbitmqctl -q list_users --formatter json``.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_audit.rabbitmq_users
    """
    text = _run(
        ["rabbitmqctl", "-q", "list_users", "--formatter", "json"], "rabbitmqctl list_users"
    )
    try:
        names = sorted(item["user"] for item in json.loads(text or "[]"))
    except (ValueError, KeyError, TypeError) as exc:
        raise CommandExecutionError(f"rabbitmqctl list_users: not its JSON: {exc}") from exc
    present = [name for name in absent if name in names]
    if present:
        return _ret(False, f"default user(s) present: {', '.join(present)} (users: {names})")
    return _ret(True, f"no {', '.join(absent)}; users: {', '.join(names)}")


# Plugins that log in with a password (MariaDB's and MySQL's).
PASSWORD_PLUGINS = (
    "mysql_native_password",
    "mysql_old_password",
    "ed25519",
    "parsec",
    "caching_sha2_password",
    "sha256_password",
)


def root_logins(rows):
    """
    The password logins of MariaDB's root accounts, from ``user, host,
    priv`` rows of ``mysql.global_priv`` (priv: its JSON, whose
    ``auth_or`` lists alternatives): ``[(host, plugin)]`` of each
    alternative that takes a password (not the ``invalid`` placeholder).
    """
    found = []
    for _user, host, priv in rows:
        data = json.loads(priv or "{}")
        options = [data] + [dict(data, **o) if not o else o for o in data.get("auth_or", [])]
        for option in options:
            plugin = option.get("plugin", "mysql_native_password")
            secret = option.get("authentication_string", "")
            if plugin in PASSWORD_PLUGINS and secret != "invalid":
                found.append((host, plugin))
    return sorted(set(found))


def mariadb_root(address, port=3306, password=None, timeout=2):
    """
    MariaDB's root has no password login over TCP: no root account but
    ``root@localhost`` has a password plugin (``mysql.global_priv``, read
    as root through the local socket), and a TCP login as root to
    ``address`` with root's real password (``password``: ``{"pillar": KEY}``)
    and with an empty one is refused.

    CLI Example:

    .. code-block:: bash

        salt controller openstack_audit.mariadb_root 192.168.0.5 \
            password='{"pillar": "openstack:secrets:mysql_root_password"}'
    """
    text = _run(
        [
            "mysql",
            "--protocol=socket",
            "-u",
            "root",
            "-N",
            "-B",
            "-e",
            "SELECT user, host, priv FROM mysql.global_priv WHERE user = 'root'",
        ],
        "mysql (as root, local socket)",
    )
    rows = [line.split("\t", 2) for line in text.splitlines() if line.count("\t") >= 2]
    logins = root_logins(rows)
    remote = [f"root@{host} ({plugin})" for host, plugin in logins if host != "localhost"]
    secret = _secret(password, "password")
    attempts = []
    for where, label, given in (
        (address, "root's password", secret),
        (address, "no password", ""),
        ("127.0.0.1", "root's password", secret),
    ):
        got = audit_probes.mysql_login(where, int(port), "root", given, float(timeout))
        detail = f" ({got['detail']})" if got.get("detail") else ""
        attempts.append((f"TCP {where}:{port} with {label}: {got['outcome']}{detail}", got))
    seen = "; ".join(text for text, _ in attempts)
    if remote or any(not audit_checks.kept_out(got["outcome"]) for _, got in attempts):
        parts = []
        if remote:
            parts.append("root accounts with a password beyond localhost: " + ", ".join(remote))
        return _ret(False, "; ".join(parts + [seen]))
    local = ", ".join(f"root@{h} ({p})" for h, p in logins) or "none"
    return _ret(True, f"password logins of root: {local} (local socket only); {seen}")
