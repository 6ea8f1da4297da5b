"""
The Keystone Identity API v3 client that the ``keystone`` execution module
and the ``keystone`` state module share: credentials, the keystoneauth1
session, requests (with retries), Keystone's refusals as
``CommandExecutionError``, lookups by name, and the masking of secrets.

How the modules get it
----------------------
``saltutil.sync_all`` copies ``salt://_utils`` (this directory) to the
minion's ``<extension_modules>/utils``; Salt's loader puts that directory
(and ``utils_dirs``) on ``sys.path`` while it imports a custom module, so the
modules say ``import keystone_api``. Imported that way, this file gets no Salt
dunders (``__salt__``, ``__context__``, ``__opts__``): what it needs is passed
in (the ``__context__`` that keeps the sessions, ``config.get`` to look a
profile up). A minion runs each job in a process of its own, which imports the
synced copy afresh; with ``multiprocessing: False`` the first copy imported
stays until the minion restarts.

Library
-------
keystoneauth1 only (Debian 12: ``python3-keystoneauth1`` 5.0; EL: the RDO
package of the same name): a ``Session`` with the v3 ``Password`` plugin, and
plain JSON requests to the Identity API at ``auth_url``. openstacksdk would
pull in some forty more packages to make the same requests.
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    from keystoneauth1 import exceptions as ks_exceptions
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3 as ks_v3

    HAS_KEYSTONEAUTH = True
except ImportError:
    HAS_KEYSTONEAUTH = False

# What replaces a secret wherever one would be shown.
MASK = "******"
INTERFACES = ("public", "internal", "admin")
# Keystone on a busy controller (packages installing, services starting) may
# drop a connection: each request is tried again, with backoff.
CONNECT_RETRIES = 5

PROFILE_KEYS = {
    "auth_url",
    "username",
    "password",
    "project_name",
    "user_domain_name",
    "project_domain_name",
    "user_domain_id",
    "project_domain_id",
    "verify",
    "timeout",
}
# An admin-openrc-like pillar dictionary has these: accepted, not used.
IGNORED_KEYS = {"region", "region_name", "interface", "identity_api_version"}
REQUIRED_KEYS = ("auth_url", "username", "password", "project_name")


# --- secrets and arguments --------------------------------------------------


def scrub(text, secrets):
    """``text`` (made a string) with every non-empty secret replaced by ``******``."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(str(secret), MASK)
    return text


def check_interface(interface):
    """Refuse an endpoint interface other than public, internal and admin."""
    if interface not in INTERFACES:
        raise SaltInvocationError(
            f"Endpoint interface {interface!r}: one of {', '.join(INTERFACES)}"
        )


def os_arguments(kwargs, internal="__"):
    """
    The ``os_*`` keyword arguments (the credentials) among ``kwargs``.
    Arguments starting with ``internal`` are Salt's own (the loader's
    ``__pub_*``; the state system's ``__id__``, ...) and skipped; any other
    argument is refused.
    """
    found = {}
    for key, value in kwargs.items():
        if key.startswith(internal):
            continue
        if not key.startswith("os_"):
            raise SaltInvocationError(f"Unexpected argument {key!r}")
        found[key] = value
    return found


def auth_settings(profile, kwargs, config_get):
    """
    Merge ``profile`` and the ``os_*`` keyword arguments (which win) into the
    settings of one connection; check them.

    profile
        A dictionary, ``None``, or the name of a config or pillar key holding
        a dictionary, looked up with ``config_get(name)``.
    """
    if isinstance(profile, str):
        name = profile
        profile = config_get(name)
        if not isinstance(profile, dict) or not profile:
            raise SaltInvocationError(
                f"Keystone profile {name!r}: no such dictionary in the minion config or pillar"
            )
    elif profile is None:
        profile = {}
    elif not isinstance(profile, dict):
        raise SaltInvocationError("Keystone profile: a dictionary or the name of one")
    settings = dict(profile)
    for key, value in os_arguments(kwargs).items():
        if value is not None:
            settings[key[len("os_") :]] = value
    unknown = sorted(set(settings) - PROFILE_KEYS - IGNORED_KEYS)
    if unknown:
        raise SaltInvocationError(f"Keystone profile: unknown keys {', '.join(unknown)}")
    missing = [key for key in REQUIRED_KEYS if not settings.get(key)]
    if missing:
        raise SaltInvocationError(
            "Keystone credentials: missing "
            + ", ".join(missing)
            + " (in profile, or as os_"
            + ", os_".join(missing)
            + ")"
        )
    return {key: value for key, value in settings.items() if key in PROFILE_KEYS}


def identity_url(auth_url):
    """The Identity v3 URL of ``auth_url`` (``/v2.0`` read as ``/v3``; ``/v3`` added)."""
    url = str(auth_url).rstrip("/")
    if url.endswith("/v2.0"):
        url = url[: -len("/v2.0")]
    if not url.endswith("/v3"):
        url += "/v3"
    return url


def connect(context, settings):
    """
    The :class:`Client` for ``settings`` (from :func:`auth_settings`), made once
    per set of credentials and kept in ``context`` (the module's ``__context__``)
    with its session and token for the rest of the run.
    """
    key = tuple(sorted((k, str(v)) for k, v in settings.items()))
    cache = context.setdefault("keystone.connections", {})
    if key not in cache:
        url = identity_url(settings["auth_url"])
        plugin_args = {
            "auth_url": url,
            "username": settings["username"],
            "password": settings["password"],
            "project_name": settings["project_name"],
        }
        for scope in ("user", "project"):
            if settings.get(f"{scope}_domain_id"):
                plugin_args[f"{scope}_domain_id"] = settings[f"{scope}_domain_id"]
            else:
                plugin_args[f"{scope}_domain_name"] = settings.get(
                    f"{scope}_domain_name", "Default"
                )
        session = ks_session.Session(
            auth=ks_v3.Password(**plugin_args),
            verify=settings.get("verify", True),
            timeout=settings.get("timeout", 60),
        )
        cache[key] = Client(url, session, context.setdefault("keystone.domains", {}))
    return cache[key]


# --- results ----------------------------------------------------------------


def clean(obj):
    """A Keystone object without its ``links`` (``None`` stays ``None``)."""
    if obj is None:
        return None
    return {k: v for k, v in obj.items() if k != "links"}


def require(obj, what):
    """``obj``, unless it is ``None``: then ``Keystone: <what> not found``."""
    if obj is None:
        raise CommandExecutionError(f"Keystone: {what} not found")
    return obj


def one(items, what):
    """The one item of ``items`` (cleaned), ``None`` if none; several are an error."""
    if len(items) > 1:
        raise CommandExecutionError(
            f"{what}: {len(items)} match ({', '.join(i['id'] for i in items)}), expected one"
        )
    return clean(items[0]) if items else None


# --- the client -------------------------------------------------------------


class Client:
    """
    A keystoneauth1 session and the Identity v3 URL it talks to: requests,
    and objects found by the names an operator gives them.
    """

    def __init__(self, url, session, domains):
        self.url = url
        self.session = session
        # {(url, domain id or name): domain id}, shared by the run's clients.
        self._domains = domains

    def request(self, method, path, *, body=None, params=None, missing_ok=False, secrets=()):
        """
        One Identity API request; its JSON body (``{}`` if it has none),
        ``None`` for a 404 if ``missing_ok``. A request that carries a secret
        (``secrets``) is not logged, and the secrets are masked in errors.
        """
        where = f"{method} {self.url}{path}"
        try:
            resp = self.session.request(
                self.url + path,
                method,
                json=body,
                params=params,
                raise_exc=False,
                log=not any(secrets),
                connect_retries=CONNECT_RETRIES,
            )
        except ks_exceptions.ClientException as exc:
            raise CommandExecutionError(f"Keystone: {scrub(exc, secrets)} ({where})") from None
        if missing_ok and resp.status_code == 404:
            return None
        if resp.status_code >= 400:
            try:
                error = resp.json()["error"]
                message = error.get("message") or error.get("title")
            except (ValueError, KeyError, TypeError):
                message = resp.text.strip() or resp.reason
            raise CommandExecutionError(
                f"Keystone: {scrub(message, secrets)} (HTTP {resp.status_code}, {where})"
            )
        if resp.status_code == 204 or not resp.content:
            return {}
        return resp.json()

    # Every collection used here is named by its members' key plus "s":
    # GET /v3/projects -> {"projects": [...]}, POST /v3/projects {"project": {...}}.

    def get(self, member, ident):
        """The ``member`` (``region``, ...) of id ``ident``, or ``None``."""
        found = self.request("GET", f"/{member}s/{ident}", missing_ok=True)
        return clean(found[member]) if found else None

    def list(self, collection, params=None):
        """The objects of ``collection`` (``projects``, ...), filtered by ``params``."""
        found = self.request("GET", f"/{collection}", params=params)[collection]
        return [clean(item) for item in found]

    def create(self, member, fields, secrets=()):
        """Create a ``member`` (``project``, ...) with ``fields``; return it."""
        body = {member: fields}
        return clean(self.request("POST", f"/{member}s", body=body, secrets=secrets)[member])

    def update(self, member, ident, fields, secrets=()):
        """Change ``fields`` of the ``member`` of id ``ident``; return it."""
        body = {member: fields}
        path = f"/{member}s/{ident}"
        return clean(self.request("PATCH", path, body=body, secrets=secrets)[member])

    def authenticates(self, name, domain_id, password):
        """
        Whether Keystone issues an unscoped token to user ``name`` of domain
        ``domain_id`` with ``password`` (201: ``True``, 401: ``False``). The
        request is never logged; the password is masked in errors.
        """
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": name,
                            "domain": {"id": domain_id},
                            "password": str(password),
                        }
                    },
                },
                "scope": "unscoped",
            }
        }
        where = f"POST {self.url}/auth/tokens (as user {name!r})"
        try:
            resp = self.session.post(
                self.url + "/auth/tokens",
                json=body,
                authenticated=False,
                raise_exc=False,
                log=False,
            )
        except ks_exceptions.ClientException as exc:
            raise CommandExecutionError(f"Keystone: {scrub(exc, [password])} ({where})") from None
        if resp.status_code == 201:
            return True
        if resp.status_code == 401:
            return False
        raise CommandExecutionError(
            f"Keystone: {scrub(resp.text.strip(), [password])} (HTTP {resp.status_code}, {where})"
        )

    def domain_id(self, domain):
        """The id of a domain given by id or name (``None``, ``Default``: ``default``)."""
        if domain in (None, "default", "Default"):
            return "default"
        if (self.url, domain) not in self._domains:
            found = self.request("GET", f"/domains/{domain}", missing_ok=True)
            if found:
                self._domains[(self.url, domain)] = found["domain"]["id"]
            else:
                match = self.request("GET", "/domains", params={"name": domain})["domains"]
                if not match:
                    raise CommandExecutionError(f"Keystone: domain {domain!r} not found")
                self._domains[(self.url, domain)] = match[0]["id"]
        return self._domains[(self.url, domain)]

    # Lookups by name: the object, or None (with required=True: an error).

    def project(self, name, domain, required=False):
        """The project ``name`` of ``domain``."""
        params = {"name": name, "domain_id": self.domain_id(domain)}
        found = one(
            self.request("GET", "/projects", params=params)["projects"], f"Project {name!r}"
        )
        return require(found, f"project {name!r}") if required else found

    def user(self, name, domain, required=False):
        """The user ``name`` of ``domain``."""
        params = {"name": name, "domain_id": self.domain_id(domain)}
        found = one(self.request("GET", "/users", params=params)["users"], f"User {name!r}")
        return require(found, f"user {name!r}") if required else found

    def role(self, name, required=False):
        """The global role ``name``."""
        items = self.request("GET", "/roles", params={"name": name})["roles"]
        found = one(items, f"Role {name!r}")
        return require(found, f"role {name!r}") if required else found

    def service(self, name, service_type=None, required=False):
        """The service ``name`` (of ``service_type``, if given: names may be shared)."""
        params = {"type": service_type} if service_type else None
        items = self.request("GET", "/services", params=params)["services"]
        items = [s for s in items if s.get("name") == name]
        what = f"Service {name!r}" + (f" of type {service_type!r}" if service_type else "")
        found = one(items, what)
        return require(found, f"service {name!r}") if required else found

    def endpoint(self, service_id, interface, region):
        """The service's endpoint for ``interface`` in ``region`` (or in none), or ``None``."""
        params = {"service_id": service_id, "interface": interface}
        if region:
            params["region_id"] = region
        items = self.request("GET", "/endpoints", params=params)["endpoints"]
        items = [e for e in items if e.get("region_id") == (region or None)]
        return one(items, f"Endpoint {interface} in region {region or '(none)'}")

    def grant_path(self, user, project, role, domain):
        """The path of the grant of ``role`` to ``user`` on ``project`` (all must exist)."""
        user_id = self.user(user, domain, required=True)["id"]
        project_id = self.project(project, domain, required=True)["id"]
        role_id = self.role(role, required=True)["id"]
        return f"/projects/{project_id}/users/{user_id}/roles/{role_id}"
