"""
A real Keystone for the functional tests, on 127.0.0.1, started by the tests.

Keystone 22.0.2 (Zed, the version Debian 12 ships) from PyPI, in its own
virtualenv, because Keystone's dependencies (SQLAlchemy 1.4, oslo.*) cannot
share the project's venv with Salt: ``<cache>/keystone-venv``, built once and
reused (rebuilt when :data:`CONSTRAINTS` or :data:`KEYSTONE_VERSION` change).
``<cache>`` is ``$OPENSTACK_SALT_TESTS_CACHE``, else
``/var/cache/openstack-salt-tests`` if writable, else
``~/.cache/openstack-salt-tests``. Building it needs PyPI and a C compiler-free
Python 3.11 (every pinned package has a wheel); it takes about 40 s.

Each test module gets a fresh Keystone in a temporary directory: SQLite
database (``keystone-manage db_sync``), fernet token and credential keys
(``fernet_setup``, ``credential_setup``), ``keystone-manage bootstrap`` (admin
user, admin project, roles admin/member/reader; no catalog) -- made once and
kept as ``<cache>/keystone-template-<hash>``, then copied --, served by this
file run as a script (``python keystone_server.py serve CONF PORTFILE``) with
the stdlib's WSGI server (one request at a time) on a free port. Passwords
are hashed with bcrypt's minimum cost (4 rounds) and Keystone caches in memory,
to keep requests fast.

Used by the tests (running in the project venv) as::

    from tests.support import keystone_server

    @pytest.fixture(scope="module")
    def keystone(tmp_path_factory):
        with keystone_server.for_tests(tmp_path_factory) as server:
            yield server                    # server.profile: the module's credentials

or, lower down::

    venv = keystone_server.ensure_venv()            # KeystoneUnavailable: skip
    with keystone_server.running(venv, tmp) as ks:  # KeystoneError: fail
        ks.profile
"""

import contextlib
import hashlib
import os
import pathlib
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

KEYSTONE_VERSION = "22.0.2"
ADMIN_PASSWORD = "admin-secret-for-tests"
REGION = "RegionOne"

# The libraries Keystone imports, at the versions Debian 12 ships with its
# keystone 2:22.0.2 (so the tests run against the Keystone the lab runs);
# pip picks the rest. greenlet/eventlet: versions that work on Python 3.11.
CONSTRAINTS = """\
SQLAlchemy==1.4.46
alembic==1.8.1
sqlalchemy-migrate==0.13.0
greenlet==2.0.2
eventlet==0.33.3
Flask==2.2.2
Werkzeug==2.2.2
Flask-RESTful==0.3.9
WebOb==1.8.6
jsonschema==4.10.3
keystonemiddleware==10.1.0
python-keystoneclient==5.0.1
keystoneauth1==5.0.0
oslo.cache==3.2.0
oslo.concurrency==5.0.1
oslo.config==9.0.0
oslo.context==5.0.0
oslo.db==12.1.0
oslo.i18n==5.1.0
oslo.log==5.0.1
oslo.messaging==14.0.3
oslo.metrics==0.5.0
oslo.middleware==5.0.0
oslo.policy==4.0.0
oslo.serialization==5.0.0
oslo.service==3.0.0
oslo.upgradecheck==2.0.0
oslo.utils==6.0.1
osprofiler==3.4.3
pycadf==3.1.1
dogpile.cache==1.1.8
stevedore==4.0.2
pysaml2==7.0.1
passlib==1.7.4
bcrypt==3.2.2
pbr==5.10.0
"""

CONFIG = """\
[DEFAULT]
log_file = {work}/keystone.log
[database]
connection = sqlite:///{work}/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = {work}/fernet-keys
[fernet_receipts]
key_repository = {work}/fernet-keys
[credential]
key_repository = {work}/credential-keys
[identity]
password_hash_rounds = 4
[cache]
enabled = true
backend = dogpile.cache.memory
"""


class KeystoneUnavailable(Exception):
    """Keystone cannot be installed here (no network, no PyPI): skip."""


class KeystoneError(Exception):
    """Keystone is installed but does not start: a failure."""


def cache_dir():
    if os.environ.get("OPENSTACK_SALT_TESTS_CACHE"):
        path = pathlib.Path(os.environ["OPENSTACK_SALT_TESTS_CACHE"])
    else:
        path = pathlib.Path("/var/cache/openstack-salt-tests")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
        if not os.access(path, os.W_OK):
            path = pathlib.Path.home() / ".cache" / "openstack-salt-tests"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _locked(path):
    import fcntl

    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(text, lines=15):
    return "\n".join(str(text).strip().splitlines()[-lines:])


def ensure_venv(python=None):
    """The virtualenv holding Keystone, built if missing or out of date."""
    cache = cache_dir()
    venv = cache / "keystone-venv"
    stamp = venv / ".openstack-salt-tests"
    wanted = hashlib.sha256(f"{KEYSTONE_VERSION}\n{CONSTRAINTS}".encode()).hexdigest()
    with _locked(cache / "keystone-venv.lock"):
        if stamp.is_file() and stamp.read_text() == wanted:
            return venv
        stale = [str(p) for p in cache.glob("keystone-template-*")]
        subprocess.run(["rm", "-rf", str(venv), *stale], check=True)
        # The base interpreter, not the project venv's (whose packages stay out).
        python = python or getattr(sys, "_base_executable", sys.executable)
        subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True)
        constraints = venv / "constraints.txt"
        constraints.write_text(CONSTRAINTS)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
        try:
            done = subprocess.run(
                [*pip, "--constraint", str(constraints), f"keystone=={KEYSTONE_VERSION}"],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise KeystoneUnavailable("pip install keystone: no answer in 10 minutes") from None
        if done.returncode != 0:
            raise KeystoneUnavailable(
                f"pip install keystone=={KEYSTONE_VERSION} into {venv} failed:\n"
                + _tail(done.stderr or done.stdout)
            )
        stamp.write_text(wanted)
    return venv


class Keystone:
    """A running Keystone: its URL, the admin's credentials, its log."""

    def __init__(self, url, work):
        self.url = url
        self.auth_url = f"{url}/v3"
        self.work = work
        self.profile = {
            "auth_url": self.auth_url,
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "project_name": "admin",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        }

    def log(self, lines=40):
        log = self.work / "keystone.log"
        return _tail(log.read_text(errors="replace"), lines) if log.exists() else ""

    def token(self, username, password, project=None):
        """
        A token Keystone issues to a user of domain ``default`` (scoped to
        ``project`` if given), asked with keystoneauth1: not through the modules
        under test. Raises keystoneauth1's ``Unauthorized`` if refused.
        """
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3 as ks_v3

        args = {"project_name": project, "project_domain_id": "default"} if project else {}
        auth = ks_v3.Password(
            auth_url=self.auth_url,
            username=username,
            password=password,
            user_domain_id="default",
            **args,
        )
        return auth.get_auth_ref(ks_session.Session())

    def endpoint_urls(self):
        """{(service type, interface, region): url} from the admin's token catalog."""
        ref = self.token("admin", ADMIN_PASSWORD, "admin")
        return {
            (service["type"], endpoint["interface"], endpoint["region_id"]): endpoint["url"]
            for service in ref.service_catalog.catalog
            for endpoint in service["endpoints"]
        }


def _manage(venv, conf, *args):
    return subprocess.Popen(
        [str(venv / "bin" / "keystone-manage"), "--config-file", str(conf), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait(*procs):
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        if proc.returncode != 0:
            raise KeystoneError(f"{' '.join(proc.args[3:])} failed:\n{_tail(out)}")


def _prepare(venv, work, conf):
    """Database, keys and bootstrap, from scratch (keystone-manage)."""
    owner = ["--keystone-user", str(os.getuid()), "--keystone-group", str(os.getgid())]
    _wait(
        _manage(venv, conf, "db_sync"),
        _manage(venv, conf, "fernet_setup", *owner),
        _manage(venv, conf, "credential_setup", *owner),
    )
    # Write-ahead log: Keystone's SQLAlchemy sessions may keep a read cursor
    # open on one pooled connection while another commits; in SQLite's default
    # rollback-journal mode that commit fails with "database is locked".
    with contextlib.closing(sqlite3.connect(work / "keystone.db")) as db:
        db.execute("PRAGMA journal_mode=WAL")
    _wait(_manage(venv, conf, "bootstrap", "--bootstrap-password", ADMIN_PASSWORD))
    with contextlib.closing(sqlite3.connect(work / "keystone.db")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _prepared(venv, work, conf):
    """
    A prepared Keystone in ``work``: copied from the template kept next to the
    venv (keystone-manage takes ~3 s per command, mostly imports), or made with
    keystone-manage and kept as the template.
    """
    stamp = (venv / ".openstack-salt-tests").read_text()
    key = hashlib.sha256(f"{stamp}\n{CONFIG}\n{ADMIN_PASSWORD}".encode()).hexdigest()[:16]
    template = venv.parent / f"keystone-template-{key}"
    parts = ("keystone.db", "fernet-keys", "credential-keys")
    if not (template / "done").exists():
        _prepare(venv, work, conf)
        tmp = venv.parent / f"{template.name}.{os.getpid()}"
        subprocess.run(["rm", "-rf", str(tmp)], check=True)
        tmp.mkdir()
        subprocess.run(["cp", "-a", *(str(work / p) for p in parts), str(tmp)], check=True)
        (tmp / "done").touch()
        try:
            tmp.rename(template)
        except OSError:  # another run made it meanwhile
            subprocess.run(["rm", "-rf", str(tmp)], check=True)
        return
    subprocess.run(["cp", "-a", *(str(template / p) for p in parts), str(work)], check=True)


@contextlib.contextmanager
def running(venv, work, timeout=60, meanwhile=None):
    """
    Prepare a Keystone in ``work`` and serve it until the block ends.
    ``meanwhile()``, if given, is called while Keystone starts (~3 s of imports).
    """
    work = pathlib.Path(work)
    conf = work / "keystone.conf"
    conf.write_text(CONFIG.format(work=work))
    _prepared(venv, work, conf)
    portfile = work / "port"
    with open(work / "server.log", "w") as server_log:
        server = subprocess.Popen(
            [str(venv / "bin" / "python"), __file__, "serve", str(conf), str(portfile)],
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
    try:
        if meanwhile is not None:
            meanwhile()
        keystone = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise KeystoneError("Keystone exited:\n" + _tail((work / "server.log").read_text()))
            if keystone is None and portfile.exists():
                keystone = Keystone(f"http://127.0.0.1:{portfile.read_text().strip()}", work)
            if keystone is not None:
                try:
                    with urllib.request.urlopen(keystone.auth_url, timeout=5) as resp:
                        if resp.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
            time.sleep(0.2)
        else:
            raise KeystoneError(
                f"Keystone did not answer in {timeout} s:\n"
                + _tail((work / "server.log").read_text())
            )
        yield keystone
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def for_tests(tmp_path_factory, meanwhile=None):
    """
    A Keystone for one test module, in a directory of ``tmp_path_factory``:
    the module is skipped if Keystone cannot be installed here, and fails
    instead if ``$CI`` is set (CI must run these tests).
    """
    import pytest

    try:
        venv = ensure_venv()
    except KeystoneUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, and Keystone cannot be installed: {exc}")
        pytest.skip(f"Keystone cannot be installed here: {exc}")
    with running(venv, tmp_path_factory.mktemp("keystone"), meanwhile=meanwhile) as server:
        yield server


def serve(conf, portfile):
    """Run in Keystone's venv: serve its public WSGI app on 127.0.0.1, any port."""
    from wsgiref import simple_server

    sys.argv = sys.argv[:1]  # Keystone parses the command line
    os.environ["OS_KEYSTONE_CONFIG_FILES"] = conf
    from keystone.server.wsgi import initialize_public_application

    application = initialize_public_application()

    # One request at a time: SQLite takes one writer, and the tests are sequential.
    httpd = simple_server.make_server("127.0.0.1", 0, application)
    tmp = f"{portfile}.tmp"
    with open(tmp, "w") as handle:
        handle.write(str(httpd.server_port))
    os.rename(tmp, portfile)
    httpd.serve_forever()


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(*sys.argv[2:4])
