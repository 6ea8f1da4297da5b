"""
The cloud's pillar, checked and completed on the master.

The guide kept its settings in ``config/configrc`` and ``config/hosts`` and
trusted the reader to edit them correctly. Here the same data lives in pillar
and two runners guard it:

- ``openstack.secrets`` generates every password the user did not set, once,
  into a git-ignored pillar file (``pillar/secrets/generated.sls``), and never
  changes a value already there; with ``test=True`` it only lists them;
- ``openstack.validate`` checks the data the states will see and lists every
  problem in one message. It is the first stage of the orchestration: when it
  fails, nothing else runs and no host is touched.

``openstack.secrets`` also makes the project CA (once, its key on the
master only) and the certificates it signs, into a file per host
(``pillar/secrets/hosts/<host>.sls``, for that minion only);
``openstack.ca`` prints the CA's certificate (``_openstack/tls.py``).

The data checked is the *effective* data, merged as ``salt/map.jinja`` merges
it: ``salt/defaults.yaml``, then the OS family's (``salt/osfamilymap.yaml``),
then the OpenStack release's on that platform (``salt/releases.yaml``), then
the pillar (every pillar file: the generated secrets and ``pillar/local.sls``
included), the later winning. So a default is never repeated in pillar. The
keys the pillar may hold are those of ``pillar.example`` (the schema) and of
the tree's own data files; any other is reported with the nearest known key.

CLI Example:

.. code-block:: bash

    salt-run openstack.secrets
    salt-run openstack.secrets test=True
    salt-run openstack.validate
    salt-run openstack.validate path=/tmp/hosts.sls
    salt-run openstack.ca > openstack-ca.pem
"""

import contextlib
import fcntl
import json
import logging
import os
import secrets as _random
import shutil
import subprocess
import sys
import tempfile

import salt.pillar
import salt.utils.yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    # Salt's loader puts the runners' directory on sys.path while it imports
    # a runner; the tests import this file by path, from the checkout.
    from _openstack import checks, data, tls
except ImportError:
    from _runners._openstack import checks, data, tls

try:
    # The audit's shared code, from Salt's utils directories (utils_dirs:
    # the checkout's _utils); the tests import it from the checkout.
    import audit_checks
    import audit_probes
    import audit_tls
    import check_report
except ImportError:
    try:
        from _utils import audit_checks, audit_probes, audit_tls, check_report
    except ImportError:  # the audit functions say so; the rest works
        audit_checks = audit_probes = audit_tls = check_report = None

log = logging.getLogger(__name__)

__virtualname__ = "openstack"

SECRETS_SLS = os.path.join("secrets", "generated.sls")


def __virtual__():
    if not checks.HAS_NETADDR:
        return False, "the openstack runner needs the netaddr library"
    return __virtualname__


def _salt_dir():
    """The state tree: the master's file root holding map.jinja, else the
    salt/ directory beside this runner's directory (the checkout)."""
    try:
        roots = (__opts__.get("file_roots") or {}).get("base") or []
    except NameError:  # imported as a plain module (tests)
        roots = []
    for root in roots:
        if os.path.isfile(os.path.join(root, "map.jinja")):
            return root
    here = os.path.dirname(os.path.realpath(__file__))
    return os.path.join(os.path.dirname(here), "salt")


def _tree():
    return data.tree(_salt_dir())


def secret_names(openstack):
    """
    The names of every secret the cloud needs, from the data the states read:
    one database password per service with databases (``databases``), one
    password per service with a service user (``services:<name>:user``),
    plus the cloud-wide ones. ``openstack`` is the pillar's ``openstack``
    mapping, or the effective data (the tree's defaults are merged under it).

    CLI Example:

    .. code-block:: bash

        salt-run openstack.secret_names '{"services": {"heat": {"user": true}}}'
    """
    return checks.secret_names(data.effective(_tree(), openstack))


def check(pillar, platforms=None, pending=()):
    """
    Check the cloud's data and return the list of problems (empty when the
    data is good). Each problem names its pillar key and says what is wrong.
    ``openstack.validate`` checks the master's pillar with it.

    pillar
        The whole pillar (its top-level keys are checked for a misspelt
        ``openstack``) or its ``openstack`` mapping. The tree's data is
        merged under it as map.jinja does, so the effective data and the
        pillar's own give the same result.

    platforms
        host -> its grains (``os_family``, ``os``, ``osmajorrelease``), or
        None for a host whose OS is unknown: it is taken for Debian 13. The
        default: every host unknown.

    pending
        Names of secrets that are missing but will be generated
        (``openstack.secrets`` runs before the states): not a problem.

    CLI Example:

    .. code-block:: bash

        salt-run openstack.check '{"openstack": {"storage": {"replica": 3}}}'
    """
    return checks.check(pillar, _tree(), platforms=platforms, pending=pending)


# --- The master's pillar -------------------------------------------------------


def _pillar_roots():
    return list((__opts__.get("pillar_roots") or {}).get("base") or [])


def _pillar_for(minion_id, overlay=None):
    """Compile the pillar exactly as the master would for ``minion_id``;
    with ``overlay`` (a directory of pillar files), its files take the place
    of the pillar's files of the same path."""
    opts = dict(__opts__)
    if overlay:
        roots = dict(opts["pillar_roots"])
        roots["base"] = [overlay["root"], *_pillar_roots()]
        opts["pillar_roots"] = roots
        # the overlay's files are cached apart from the master's
        opts["cachedir"] = overlay["cachedir"]
    pillar = salt.pillar.get_pillar(
        opts, {"id": minion_id}, minion_id, saltenv="base", pillarenv="base"
    ).compile_pillar()
    errors = pillar.pop("_errors", None)
    if errors:
        raise SaltInvocationError("pillar does not render: " + "; ".join(errors))
    return pillar


def _host_pillar(overlay=None):
    """The pillar a host of the map sees (the controller's, or the first host's)."""
    common = _pillar_for(__opts__["id"], overlay).get("openstack") or {}
    hosts = common.get("hosts") or {}
    ids = [n for n, h in hosts.items() if "controller" in ((h or {}).get("roles") or [])]
    ids = ids or list(hosts)
    return _pillar_for(ids[0], overlay) if ids else {"openstack": common}


def network_driver():
    """
    The network driver of the host map's controller (ovn or linuxbridge),
    as the states there see it: its platform's release (its cached grains,
    releases.yaml), then the pillar. For what the master renders about the
    cloud (the audit's plan: which services exist), since the master's own
    platform may offer another release (Debian 12's Zed: linuxbridge).
    Returns the driver only: nothing of the pillar's secrets.

    CLI Example:

    .. code-block:: bash

        salt-run openstack.network_driver
    """
    openstack = _host_pillar().get("openstack") or {}
    hosts = openstack.get("hosts") or {}
    ids = [n for n, h in hosts.items() if "controller" in ((h or {}).get("roles") or [])]
    grains = _platforms(ids[:1]).get(ids[0]) if ids else None
    return (data.effective(_tree(), openstack, grains).get("network") or {}).get("driver")


def _platforms(hosts):
    """host -> its cached grains (os_family, os, osmajorrelease), or None
    when the master has none (a minion that never connected)."""
    if not hosts:
        return {}
    cached = __salt__["cache.grains"](tgt=",".join(hosts), tgt_type="list") or {}
    platforms = {}
    for host in hosts:
        grains = cached.get(host) or {}
        platforms[host] = (
            {key: grains.get(key) for key in ("os_family", "os", "osmajorrelease")}
            if grains.get("os_family")
            else None
        )
    return platforms


def _pillar_file(path):
    """The pillar file (path under the pillar root) that ``path`` stands
    for: the one of the same name, if exactly one has it."""
    real = os.path.realpath(path)
    found = set()
    for root in _pillar_roots():
        top = os.path.realpath(root)
        if real.startswith(top + os.sep):
            return os.path.relpath(real, top)
        for directory, _, files in os.walk(top):
            if os.path.basename(path) in files:
                found.add(os.path.relpath(os.path.join(directory, os.path.basename(path)), top))
    return found.pop() if len(found) == 1 else None


@contextlib.contextmanager
def _overlay(path, target):
    """A pillar overlay holding ``path`` as ``target``, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="openstack-validate-") as tmp:
        root = os.path.join(tmp, "pillar")
        dest = os.path.join(root, target)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(path, dest)
        yield {"root": root, "cachedir": os.path.join(tmp, "cache")}


def _pillar_root():
    """The pillar root holding the top file."""
    roots = __opts__["pillar_roots"]["base"]
    return next((r for r in roots if os.path.isfile(os.path.join(r, "top.sls"))), roots[0])


def _secrets_path():
    """pillar/secrets/generated.sls beside the pillar top file."""
    return os.path.join(_pillar_root(), SECRETS_SLS)


def _tls(make):
    """The TLS material's hook in ``secrets``: item -> why it is (or would
    be) made (tls.ensure), for the host map as a host of it sees it
    (pillar/local.sls included)."""
    problems = tls.ca_problems(__opts__)
    if problems:
        raise CommandExecutionError("; ".join(problems))
    openstack = data.effective(_tree(), _host_pillar().get("openstack") or {})
    try:
        return tls.ensure(openstack, tls.ca_dir(__opts__), _pillar_root(), make)
    except tls.CAError as exc:  # changed since ca_problems read it
        raise CommandExecutionError(f"openstack_ca_dir (master option): {exc}") from None


def _generated(path):
    """The secrets already generated (name -> value)."""
    if not os.path.exists(path):
        return {}
    return (data.read_yaml(path).get("openstack") or {}).get("secrets") or {}


def _ssh_key_pair(comment):
    """An ed25519 key pair in OpenSSH's formats."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    return {"nova_migration_ssh_key": private, "nova_migration_ssh_pubkey": f"{public} {comment}"}


def secrets(test=None):
    """
    Generate every secret of the cloud that is not yet in
    ``pillar/secrets/generated.sls``, keep all that are. The file is created
    mode 0600 and git ignores it. A value the user sets in pillar (for example
    in ``pillar/local.sls``) wins over the generated one. Returns the names of
    new secrets, never their values.

    test
        True: only list the secrets that would be generated; nothing is
        written. The default is the runner's own ``test`` option.

    CLI Example:

    .. code-block:: bash

        salt-run openstack.secrets
        salt-run openstack.secrets test=True
    """
    if test is None:
        test = bool(__opts__.get("test"))
    common = _pillar_for(__opts__["id"]).get("openstack") or {}
    names = secret_names(common)
    path = _secrets_path()
    if test:
        current = _generated(path)
        new = checks.to_generate(names, current)
        kept = len(set(current) - set(new))
        made = _tls(make=False)
        return {
            "path": path,
            "generated": new + list(made),
            "kept": kept,
            "test": True,
            "tls": made,
        }
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    # Several masters' workers may ask at once: one writer at a time.
    with open(path + ".lock", "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = _generated(path)
        new = checks.to_generate(names, current)
        if new:
            for name in new:
                length = 50 if name == "horizon_secret_key" else 32
                current[name] = _random.token_urlsafe(length)[:length]
            if set(checks.KEY_PAIR) & set(new):
                current.update(_ssh_key_pair("nova-migration"))
            fd_, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".secrets.")
            with os.fdopen(fd_, "w", encoding="utf-8") as fh_:
                fh_.write(
                    "# Generated by `salt-run openstack.secrets`: the cloud's secrets.\n"
                    "# Never committed (git ignores pillar/secrets/), never regenerated.\n"
                    "# To choose a value yourself, set it in pillar/local.sls.\n"
                )
                salt.utils.yaml.safe_dump(
                    {"openstack": {"secrets": current}}, fh_, default_flow_style=False
                )
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        made = _tls(make=True)
    return {
        "path": path,
        "generated": new + list(made),
        "kept": len(current) - len(new),
        "test": False,
        "tls": made,
    }


def _drop_generated_public(openstack, hosts):
    """The public certificate a host's pillar has, when it is the generated
    one (the controller is the gateway): not the user's to check; stage 1
    makes it again when its names change."""
    public = (openstack.get("tls") or {}).get("public")
    if isinstance(public, dict) and public.get("cert"):
        if not tls.user_public(openstack, tls.generated_public(_pillar_root(), hosts)):
            del openstack["tls"]["public"]


def validate(pillar=None, path=None, pending_secrets=True):
    """
    Check the data the states will see and report every problem at once:
    the master's pillar for a host of the map (the controller's: every
    pillar file, generated secrets and pillar/local.sls included) over the
    tree's defaults, OS family and release data, as map.jinja merges them.
    Each host's OS comes from the master's grains cache; a host it has no
    grains of is taken for Debian 13 (the comment names such hosts).
    A certificate and key the pillar gives for the public name
    (``openstack:tls:public``) must parse, belong together, name
    ``openstack:public_ip`` and be valid now; the master's CA directory must
    be outside what the master serves and hold a whole CA or none.

    path
        A pillar file to check before deploying it. A file named like one
        file of the pillar tree (a copy of ``pillar/openstack/hosts.sls``
        named ``hosts.sls``) takes that file's place, so what it leaves out
        is gone; any other file is merged over the whole pillar.

    pillar
        Pillar data (a mapping with the ``openstack`` key, or its content)
        merged over the pillar (and over ``path``), like a file.

    pending_secrets
        True (default): a missing secret that ``openstack.secrets`` would
        generate is not a problem, only counted in the comment (stage 1
        generates it before any host is touched, so an edit can be checked
        before the first deployment). False: every secret must exist.

    Exits non-zero when there is a problem.

    CLI Example:

    .. code-block:: bash

        salt-run openstack.validate
        salt-run openstack.validate path=/tmp/hosts.sls
        salt-run openstack.validate pillar='{"openstack": {"storage": {"replica": 2}}}'
    """
    notes = []
    extra = {}
    target = None
    if path is not None:
        if not os.path.isfile(path):
            raise SaltInvocationError(f"path: {path}: no such file")
        target = _pillar_file(path)
        if target is None:
            edit = data.read_yaml(path)
            if not isinstance(edit, dict):
                raise SaltInvocationError(f"{path}: not a mapping of pillar data")
            data.merge(extra, edit)
            notes.append(f"{path} merged over the pillar")
        else:
            notes.append(f"{path} in place of the pillar's {target}")
    if pillar is not None:
        if isinstance(pillar, str):
            pillar = salt.utils.yaml.safe_load(pillar)
        if not isinstance(pillar, dict):
            raise SaltInvocationError("pillar: not a mapping of pillar data")
        data.merge(extra, pillar if "openstack" in pillar else {"openstack": pillar})
    if target is None:
        full = _host_pillar()
    else:
        with _overlay(path, target) as overlay:
            full = _host_pillar(overlay)
    data.merge(full, extra)
    openstack = full.get("openstack") if isinstance(full.get("openstack"), dict) else {}
    hosts = list(openstack.get("hosts") or {}) if isinstance(openstack.get("hosts"), dict) else []
    _drop_generated_public(openstack, hosts)
    platforms = _platforms(hosts)
    tree = _tree()  # read once for both uses below
    pending = ()
    if pending_secrets:
        names = checks.secret_names(data.effective(tree, openstack))
        pending = checks.to_generate(names, _generated(_secrets_path()))
    problems = checks.check(full, tree, platforms=platforms, pending=pending)
    problems += tls.ca_problems(__opts__)
    assumed = sorted(host for host, grains in platforms.items() if grains is None)
    if assumed:
        notes.append(f"no grains cached for {', '.join(assumed)}: taken for Debian 13")
    if pending:
        notes.append(
            f"{len(pending)} secret(s) to generate (stage 1 or `salt-run openstack.secrets`)"
        )
    suffix = "".join(f"; {note}" for note in notes)
    if problems:
        # salt-run exits with the returned retcode; orchestrate's salt.runner
        # reads the context's.
        __context__["retcode"] = 1
        return {
            "retcode": 1,
            "result": False,
            "comment": f"the pillar has {len(problems)} problem(s); nothing was deployed{suffix}",
            "problems": problems,
            "assumed": assumed,
        }
    return {
        "result": True,
        "comment": f"the pillar is valid ({len(hosts)} hosts){suffix}",
        "problems": [],
        "assumed": assumed,
    }


def ca():
    """
    The project CA's certificate (PEM), which every client of the cloud's
    TLS endpoints trusts: made once by ``openstack.secrets`` (the
    orchestration's first stage) in the master's CA directory (the master
    option ``openstack_ca_dir``, else ``openstack-ca`` beside its pki_dir).
    Only the certificate: its key never leaves that directory.

    CLI Example:

    .. code-block:: bash

        salt-run openstack.ca > openstack-ca.pem
        openstack --os-cacert openstack-ca.pem server list
    """
    directory = tls.ca_dir(__opts__)
    try:
        pem = tls.read_ca_cert(directory)
    except tls.CAError as exc:
        raise CommandExecutionError(f"openstack_ca_dir (master option): {exc}") from None
    if pem is None:
        raise CommandExecutionError(
            f"no project CA in {directory} yet: `salt-run openstack.secrets` (the "
            "orchestration's first stage) makes it"
        )
    return pem


# --- The audit's steps on the master (salt/openstack/audit.sls) -----------------


def _audit_ready():
    if check_report is None:
        raise CommandExecutionError(
            "the audit needs _utils/audit_checks.py, audit_probes.py, audit_tls.py and "
            "check_report.py (utils_dirs)"
        )


def _jobcache(path):
    secrets_ = (_host_pillar().get("openstack") or {}).get("secrets") or {}
    needles = audit_checks.secret_needles(secrets_)
    if not needles:
        return {"result": False, "comment": "the host map's pillar has no secrets to look for"}
    if not os.path.isdir(path):
        return {"result": True, "comment": f"{path}: no job cache here (nothing cached)"}
    found, files, jobs = [], 0, set()
    for directory, _dirs, names in os.walk(path):
        for name in sorted(names):
            full = os.path.join(directory, name)
            try:
                with open(full, "rb") as handle:
                    blob = handle.read()
            except OSError:
                continue
            files += 1
            if name == "jid":
                jobs.add(blob.strip())
            hits = audit_checks.secrets_in(blob, needles)
            if hits:
                found.append(f"{os.path.relpath(full, path)} ({', '.join(hits)})")
    scanned = f"{files} files of {len(jobs)} jobs under {path}, {len(needles)} secrets"
    if found:
        return {
            "result": False,
            "comment": f"{len(found)} file(s) hold secrets in clear: "
            + "; ".join(found)
            + f" [{scanned}]",
        }
    return {"result": True, "comment": f"no secret in clear in {scanned}"}


def audit_jobcache(path=None):
    """
    The audit's check that no secret is in the master's job cache in clear:
    every file under ``path`` (default ``<cachedir>/jobs``: the job
    arguments and every minion's returns the master keeps) is searched for
    the value of each of the cloud's secrets (the host map's pillar:
    ``openstack:secrets``, public keys aside). The finding names the files
    and the secrets, never a value. Fails (and ``salt-run`` exits non-zero)
    when one is found.

    CLI Example:

    .. code-block:: bash

        salt-run openstack.audit_jobcache
    """
    _audit_ready()
    path = path or os.path.join(__opts__["cachedir"], "jobs")
    return check_report.runner(
        __context__, "no secret in clear in the master's job cache", _jobcache, {"path": path}
    )


def _in_netns(program, request, netns, what):
    """Run ``program`` (a file of _utils that reads a JSON request on stdin
    and writes JSON) in network namespace ``netns`` (``nsenter``, as the lab
    runs its commands there); its answer."""
    cmd = ["nsenter", "--net=/run/netns/" + netns, sys.executable, program.__file__]
    proc = subprocess.run(
        cmd, input=json.dumps(request), capture_output=True, text=True, timeout=300, check=False
    )
    if proc.returncode != 0:
        raise CommandExecutionError(
            f"{what} in network namespace {netns}: {(proc.stderr or proc.stdout).strip()}"
        )
    return json.loads(proc.stdout)


def _probe(targets, source, netns, timeout):
    """The probe's outcomes, run in network namespace ``netns`` or, without
    one, here."""
    if not netns:
        return audit_probes.scan(targets, source, timeout)
    request = {"targets": targets, "source": source, "timeout": timeout}
    return _in_netns(audit_probes, request, netns, "the probe")


def _listed(items, limit=40):
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


def _outside(targets, source, netns, timeout, where):
    if not targets:
        return {"result": False, "comment": "nothing to probe (served_by is empty)"}
    outcomes = _probe(targets, source, netns, timeout)
    wrong, counts = audit_checks.judge(targets, outcomes)
    summary = f"{len(targets)} probes {where}, {float(timeout):g} s each: "
    summary += audit_checks.counts_text(counts)
    if wrong:
        return {"result": False, "comment": f"{summary}; wrong: {_listed(wrong)}"}
    answered = sorted(
        {
            f"{t['address']}:{t['port']} ({t['what']})"
            for t, o in zip(targets, outcomes, strict=True)
            if t["expect"] != "dropped" and o["outcome"] == "open"
        }
    )
    return {
        "result": True,
        "comment": summary + ("; answered as allowed: " + ", ".join(answered) if answered else ""),
    }


def audit_outsider(served_by, hosts, source, netns=None, timeout=2):
    """
    The audit's check from an address on the LAN that is not in the host map
    (``source``; the lab: its namespace's LAN address, lab:lan_master_ip):
    every port every host serves (``served_by``, the hosts' ``hosts``
    addresses) is tried at once, ``timeout`` seconds each; where the
    entry's sources do not admit ``source`` (glusterd, the bricks, and every
    other service but SSH from the LAN) nothing may answer, not even with a
    refusal. Run in network namespace ``netns`` when given.

    CLI Example:

    .. code-block:: bash

        salt-run openstack.audit_outsider "$SERVED_BY" '{"compute1": "192.168.0.1"}' \
            192.168.0.254 netns=oslab
    """
    _audit_ready()
    targets = audit_checks.outsider_targets(served_by, hosts, source)
    where = f"from {source}" + (f" (network namespace {netns})" if netns else "")
    return check_report.runner(
        __context__,
        f"from {source}, outside the host map: glusterd, the bricks and every service "
        "answer only as their sources allow",
        _outside,
        {"targets": targets, "source": source, "netns": netns, "timeout": timeout, "where": where},
    )


def _public_tls_request(served_by, gateway, public_ip):
    """What the TLS look asks for: every TCP port of the gateway's public
    entries speaks TLS but their ``plain`` ones, which redirect; the admin's
    login at Keystone's public endpoint (the catalog's port), the password
    from the host map's pillar (it travels on the program's stdin only)."""
    tls_ports, plain = set(), set()
    for entry in served_by.get(gateway, []):
        if entry.get("public") and entry.get("proto", "tcp") == "tcp":
            ports = set(audit_checks.expand_ports(entry["ports"]))
            redirects = ports & set(entry.get("plain") or [])
            plain |= redirects
            tls_ports |= ports - redirects
    pillar = data.effective(_tree(), _host_pillar().get("openstack") or {})
    ca_pem = tls.read_ca_cert(tls.ca_dir(__opts__))
    if not ca_pem:
        raise CommandExecutionError(
            "the project CA is not made yet (salt-run openstack.secrets): nothing to check "
            "the public certificates against"
        )
    identity = (pillar.get("catalog") or {}).get("keystone") or {}
    admin = pillar.get("admin") or {}
    creds = None
    if identity.get("port") and (pillar.get("secrets") or {}).get("admin_password"):
        creds = {
            "auth_url": f"https://{public_ip}:{identity['port']}{identity.get('path', '')}",
            "username": admin.get("username", "admin"),
            "password": pillar["secrets"]["admin_password"],
            "project": admin.get("project", "admin"),
            "region": pillar.get("region"),
        }
    return {
        "ca": ca_pem,
        "address": public_ip,
        "tls": sorted(tls_ports),
        "plain": sorted(plain),
        "api": creds,
    }


def _public_tls(request, netns):
    """
    The public side's TLS (issue 13): each TLS port's handshake against
    the project CA only, TLS 1.1 refused, each plain port a redirect to
    https, the admin's token and a server list through the public
    endpoints. Returns ``(ok, text)``.
    """
    if netns:
        found = _in_netns(audit_tls, request, netns, "the TLS look")
    else:
        found = audit_tls.run(request)
    if request["api"] is None:
        found["api"] = {
            "ok": False,
            "detail": "no admin password in the host map's pillar, or no keystone in the catalog",
        }
    bad = [f"{key}: {item['detail']}" for key, item in sorted(found.items()) if not item["ok"]]
    versions = sorted(
        {item["detail"].split(",")[0] for key, item in found.items() if key.startswith("tls ")}
    )
    summary = (
        f"TLS on {len(request['tls'])} ports ({', '.join(versions)}; "
        "certificate of the project CA), "
        f"TLS 1.1 refused on each, {len(request['plain'])} plain port(s) redirecting to https, "
        f"API: {found['api']['detail']}"
    )
    if bad:
        return False, "TLS wrong: " + "; ".join(bad)
    return True, summary


def _public(targets, source, netns, timeout, where, *, served_by, gateway, public_ip):
    out = _outside(targets, source, netns, timeout, where)
    if out["result"]:
        try:
            tls_request = _public_tls_request(served_by, gateway, public_ip)
        except tls.CAError as exc:
            raise CommandExecutionError(f"the project CA: {exc}") from exc
        ok, text = _public_tls(tls_request, netns)
        out["result"] = ok
        out["comment"] += "; " + text
    return out


def audit_public(served_by, gateway, public_ip, *, netns=None, source=None, timeout=2):
    """
    The audit's check from the public network: on the gateway's public
    address (``public_ip``), the ports of the gateway's ``served_by``
    entries with ``public`` true must answer (a connection), every other
    port any host serves must not (no answer within ``timeout`` seconds; a
    refusal is an answer). Then each answering port must speak TLS 1.2 or
    newer with a certificate of the project CA (``plain`` ones: redirect to
    https), refuse TLS 1.1, and the admin must get a token and a server
    list through the public endpoints (``_utils/audit_tls.py``). Run in
    network namespace ``netns`` (the lab's: this machine is on its public
    network through it) when given.

    CLI Example:

    .. code-block:: bash

        salt-run openstack.audit_public "$SERVED_BY" compute1 198.51.100.161 netns=oslab
    """
    _audit_ready()
    targets = audit_checks.public_targets(served_by, gateway, public_ip)
    where = "from the public network" + (f" (network namespace {netns})" if netns else "")
    return check_report.runner(
        __context__,
        f"from the public network, only the gateway's public ports answer on {public_ip}, "
        "each over TLS with the project CA's certificate",
        _public,
        {
            "targets": targets,
            "source": source,
            "netns": netns,
            "timeout": timeout,
            "where": where,
            "served_by": served_by,
            "gateway": gateway,
            "public_ip": public_ip,
        },
    )
