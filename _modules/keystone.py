"""
Manage Keystone, OpenStack's Identity service, through its v3 API.

The guide's ``keystone-init`` (a YAML file of tenants, users, roles, services
and endpoints fed to a script) as Salt functions: get, list, create and update
projects, users (with their passwords), roles, role assignments, regions,
services and endpoints.

Library
-------
keystoneauth1 only (Debian 12: ``python3-keystoneauth1`` 5.0; EL: the RDO
package of the same name): a ``Session`` with the v3 ``Password`` plugin, and
plain JSON requests to the Identity API. openstacksdk would pull in some forty
more packages to make the same requests.

The Identity API used is the one at ``auth_url``: the Keystone this minion
authenticates to is the Keystone it manages, so a fresh Keystone with an empty
catalog can be filled. A ``/v2.0`` at the end of ``auth_url`` (the guide's
``OS_AUTH_URL``) is read as ``/v3``; a bare ``http://controller:5000`` gets
``/v3`` added.

Authentication
--------------
Every function takes the administrator's credentials in one of two ways
(both may be combined; the ``os_*`` arguments win):

- ``profile``: a dictionary, or the name of a minion config or pillar key
  holding one (looked up with ``config.get``), with the keys ``auth_url``,
  ``username``, ``password``, ``project_name``, ``user_domain_name`` and
  ``project_domain_name`` (both default to ``Default``), optionally
  ``user_domain_id``/``project_domain_id`` instead of the names, ``verify``
  (false, or the path of a CA bundle) and ``timeout`` (seconds). ``region``/
  ``region_name`` and ``interface`` are accepted, as an ``admin-openrc``-like
  pillar dictionary has them, and ignored: Keystone is reached at ``auth_url``.
- the same keys prefixed with ``os_`` as keyword arguments (``os_auth_url``,
  ``os_username``, ``os_password``, ``os_project_name``, ...), like the
  ``openstack`` client's ``--os-*`` options. The prefix keeps them apart from
  the arguments that describe the object managed: ``user_create``'s
  ``password`` is the new user's, ``endpoint_create``'s ``region`` is the
  endpoint's.

Sessions (and their token) are kept in ``__context__`` for the rest of the
run, one per set of credentials.

Names, not ids
--------------
Objects are named as an operator (and pillar) names them: a project or user by
its name in a domain (``domain``, default ``default``: the domain with the id
``default``, named ``Default``, that ``keystone-manage bootstrap`` creates; a
domain's name works too), a role by its name (global roles only), a service by
its name and, if that is ambiguous, its type, an endpoint by its service,
interface and region, a region by its id. A name that matches several objects
is an error, never a guess.

Secrets
-------
Keystone never returns passwords. :func:`user_verify_password` tells whether
a password is the user's by authenticating as that user (one unscoped token
request; a refused attempt counts towards ``[security_compliance]
lockout_failure_attempts`` when that is set). Requests that carry a password
are not written to the debug log, and a password is replaced by ``******`` in
any error message that would quote it.

Errors
------
Everything Keystone refuses raises ``CommandExecutionError`` with Keystone's
own message, its HTTP status and the request (``POST /v3/users``); wrong
arguments raise ``SaltInvocationError``.
"""

import logging

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    from keystoneauth1 import exceptions as ks_exceptions
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3 as ks_v3

    HAS_KEYSTONEAUTH = True
except ImportError:
    HAS_KEYSTONEAUTH = False

log = logging.getLogger(__name__)

__virtualname__ = "keystone"

MASK = "******"
INTERFACES = ("public", "internal", "admin")

_PROFILE_KEYS = {
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
_IGNORED_KEYS = {"region", "region_name", "interface", "identity_api_version"}


def __virtual__():
    if not HAS_KEYSTONEAUTH:
        return (
            False,
            "The keystone module needs the keystoneauth1 library "
            "(python3-keystoneauth1 on Debian and EL, keystoneauth1 on PyPI)",
        )
    return __virtualname__


# --- connection -------------------------------------------------------------


class _Connection:
    """A keystoneauth1 session and the Identity v3 URL it talks to."""

    def __init__(self, url, session):
        self.url = url
        self.session = session


def _identity_url(auth_url):
    url = str(auth_url).rstrip("/")
    if url.endswith("/v2.0"):
        url = url[: -len("/v2.0")]
    if not url.endswith("/v3"):
        url += "/v3"
    return url


def _auth_settings(profile, kwargs):
    """Merge ``profile`` and the ``os_*`` keyword arguments into one dict."""
    if isinstance(profile, str):
        name = profile
        profile = __salt__["config.get"](name)
        if not isinstance(profile, dict) or not profile:
            raise SaltInvocationError(
                f"Keystone profile {name!r}: no such dictionary in the minion config or pillar"
            )
    elif profile is None:
        profile = {}
    elif not isinstance(profile, dict):
        raise SaltInvocationError("Keystone profile: a dictionary or the name of one")
    settings = dict(profile)
    for key, value in kwargs.items():
        if key.startswith("__"):
            continue  # the loader's __pub_* arguments
        if not key.startswith("os_"):
            raise SaltInvocationError(f"Unexpected argument {key!r}")
        if value is not None:
            settings[key[3:]] = value
    unknown = sorted(set(settings) - _PROFILE_KEYS - _IGNORED_KEYS)
    if unknown:
        raise SaltInvocationError(f"Keystone profile: unknown keys {', '.join(unknown)}")
    missing = [
        k for k in ("auth_url", "username", "password", "project_name") if not settings.get(k)
    ]
    if missing:
        raise SaltInvocationError(
            "Keystone credentials: missing "
            + ", ".join(missing)
            + " (in profile, or as os_"
            + ", os_".join(missing)
            + ")"
        )
    return {k: v for k, v in settings.items() if k in _PROFILE_KEYS}


def _connect(profile, kwargs):
    settings = _auth_settings(profile, kwargs)
    key = tuple(sorted((k, str(v)) for k, v in settings.items()))
    cache = __context__.setdefault("keystone.connections", {})
    if key not in cache:
        url = _identity_url(settings["auth_url"])
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
        cache[key] = _Connection(url, session)
    return cache[key]


CONNECT_RETRIES = 5


def _scrub(text, secrets):
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(str(secret), MASK)
    return text


def _request(conn, method, path, *, body=None, params=None, missing_ok=False, secrets=()):
    """One Identity API request; its JSON body, ``None`` for 404 if ``missing_ok``."""
    where = f"{method} {conn.url}{path}"
    try:
        resp = conn.session.request(
            conn.url + path,
            method,
            json=body,
            params=params,
            raise_exc=False,
            log=not any(secrets),
            # Keystone on a busy controller (packages installing, services
            # starting) may drop a connection: try again, with backoff.
            connect_retries=CONNECT_RETRIES,
        )
    except ks_exceptions.ClientException as exc:
        raise CommandExecutionError(f"Keystone: {_scrub(exc, secrets)} ({where})") from None
    if missing_ok and resp.status_code == 404:
        return None
    if resp.status_code >= 400:
        try:
            error = resp.json()["error"]
            message = error.get("message") or error.get("title")
        except (ValueError, KeyError, TypeError):
            message = resp.text.strip() or resp.reason
        raise CommandExecutionError(
            f"Keystone: {_scrub(message, secrets)} (HTTP {resp.status_code}, {where})"
        )
    if resp.status_code == 204 or not resp.content:
        return {}
    return resp.json()


def _clean(obj):
    if obj is None:
        return None
    return {k: v for k, v in obj.items() if k != "links"}


def _one(items, what):
    if len(items) > 1:
        raise CommandExecutionError(
            f"{what}: {len(items)} match ({', '.join(i['id'] for i in items)}), expected one"
        )
    return _clean(items[0]) if items else None


def _domain_id(conn, domain):
    if domain in (None, "default", "Default"):
        return "default"
    cache = __context__.setdefault("keystone.domains", {})
    if (conn.url, domain) not in cache:
        found = _request(conn, "GET", f"/domains/{domain}", missing_ok=True)
        if found:
            cache[(conn.url, domain)] = found["domain"]["id"]
        else:
            match = _request(conn, "GET", "/domains", params={"name": domain})["domains"]
            if not match:
                raise CommandExecutionError(f"Keystone: domain {domain!r} not found")
            cache[(conn.url, domain)] = match[0]["id"]
    return cache[(conn.url, domain)]


def _require(obj, what):
    if obj is None:
        raise CommandExecutionError(f"Keystone: {what} not found")
    return obj


def _project(conn, name, domain):
    params = {"name": name, "domain_id": _domain_id(conn, domain)}
    items = _request(conn, "GET", "/projects", params=params)["projects"]
    return _one(items, f"Project {name!r}")


def _user(conn, name, domain):
    params = {"name": name, "domain_id": _domain_id(conn, domain)}
    items = _request(conn, "GET", "/users", params=params)["users"]
    return _one(items, f"User {name!r}")


def _role(conn, name):
    items = _request(conn, "GET", "/roles", params={"name": name})["roles"]
    return _one(items, f"Role {name!r}")


def _service(conn, name, service_type=None):
    params = {"type": service_type} if service_type else None
    items = _request(conn, "GET", "/services", params=params)["services"]
    items = [s for s in items if s.get("name") == name]
    what = f"Service {name!r}" + (f" of type {service_type!r}" if service_type else "")
    return _one(items, what)


def _check_interface(interface):
    if interface not in INTERFACES:
        raise SaltInvocationError(
            f"Endpoint interface {interface!r}: one of {', '.join(INTERFACES)}"
        )


def _endpoint(conn, service_id, interface, region):
    params = {"service_id": service_id, "interface": interface}
    if region:
        params["region_id"] = region
    items = _request(conn, "GET", "/endpoints", params=params)["endpoints"]
    items = [e for e in items if e.get("region_id") == (region or None)]
    return _one(items, f"Endpoint {interface} in region {region or '(none)'}")


# --- projects ---------------------------------------------------------------


def project_get(name, domain="default", profile=None, **kwargs):
    """
    Return a project (its Keystone attributes), or ``None`` if there is none.

    name
        The project's name.
    domain
        Its domain's id or name (default: ``default``).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.project_get service profile=openstack:keystone:auth
    """
    return _project(_connect(profile, kwargs), name, domain)


def project_list(domain=None, profile=None, **kwargs):
    """
    List projects, all or those of one domain.

    domain
        Only this domain's projects (id or name).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.project_list profile=openstack:keystone:auth
    """
    conn = _connect(profile, kwargs)
    params = {"domain_id": _domain_id(conn, domain)} if domain else None
    return [_clean(p) for p in _request(conn, "GET", "/projects", params=params)["projects"]]


def project_create(name, description=None, domain="default", enabled=True, profile=None, **kwargs):
    """
    Create a project; return it.

    name
        The project's name.
    description
        Its description.
    domain
        Its domain's id or name (default: ``default``).
    enabled
        Whether it is enabled (default: true).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.project_create service description="Service Project"
    """
    conn = _connect(profile, kwargs)
    body = {"name": name, "domain_id": _domain_id(conn, domain), "enabled": bool(enabled)}
    if description is not None:
        body["description"] = description
    return _clean(_request(conn, "POST", "/projects", body={"project": body})["project"])


def project_update(name, description=None, enabled=None, domain="default", profile=None, **kwargs):
    """
    Change a project's description or enabled flag; return the project.

    name
        The project's name.
    description
        The new description (unchanged if not given).
    enabled
        Enable or disable it (unchanged if not given).
    domain
        Its domain's id or name (default: ``default``).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.project_update service description="Services"
    """
    conn = _connect(profile, kwargs)
    project = _require(_project(conn, name, domain), f"project {name!r}")
    body = {}
    if description is not None:
        body["description"] = description
    if enabled is not None:
        body["enabled"] = bool(enabled)
    if not body:
        return project
    path = f"/projects/{project['id']}"
    return _clean(_request(conn, "PATCH", path, body={"project": body})["project"])


# --- users ------------------------------------------------------------------


def user_get(name, domain="default", profile=None, **kwargs):
    """
    Return a user (its Keystone attributes, never a password), or ``None``.

    name
        The user's name.
    domain
        Its domain's id or name (default: ``default``).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.user_get glance profile=openstack:keystone:auth
    """
    return _user(_connect(profile, kwargs), name, domain)


def user_list(domain=None, profile=None, **kwargs):
    """
    List users, all or those of one domain.

    domain
        Only this domain's users (id or name).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.user_list profile=openstack:keystone:auth
    """
    conn = _connect(profile, kwargs)
    params = {"domain_id": _domain_id(conn, domain)} if domain else None
    return [_clean(u) for u in _request(conn, "GET", "/users", params=params)["users"]]


def _user_body(conn, domain, *, password, project, email, description, enabled):
    body = {}
    if password is not None:
        body["password"] = str(password)
    if project is not None:
        if project == "":
            body["default_project_id"] = None
        else:
            found = _require(_project(conn, project, domain), f"project {project!r}")
            body["default_project_id"] = found["id"]
    if email is not None:
        body["email"] = email
    if description is not None:
        body["description"] = description
    if enabled is not None:
        body["enabled"] = bool(enabled)
    return body


def user_create(
    name,
    password=None,
    *,
    domain="default",
    project=None,
    email=None,
    description=None,
    enabled=True,
    profile=None,
    **kwargs,
):
    """
    Create a user; return it (without its password).

    name
        The user's name.
    password
        Its password (none: the user cannot authenticate with one).
    domain
        Its domain's id or name, and its default project's (default: ``default``).
    project
        Its default project's name.
    email
        Its e-mail address.
    description
        Its description.
    enabled
        Whether it is enabled (default: true).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.user_create glance password=secret project=service
    """
    conn = _connect(profile, kwargs)
    body = _user_body(
        conn,
        domain,
        password=password,
        project=project,
        email=email,
        description=description,
        enabled=enabled,
    )
    body.update(name=name, domain_id=_domain_id(conn, domain))
    created = _request(conn, "POST", "/users", body={"user": body}, secrets=(password,))
    return _clean(created["user"])


def user_update(
    name,
    password=None,
    *,
    domain="default",
    project=None,
    email=None,
    description=None,
    enabled=None,
    profile=None,
    **kwargs,
):
    """
    Change a user's password or attributes (those given); return the user.

    name
        The user's name.
    password
        A new password.
    domain
        Its domain's id or name, and its default project's (default: ``default``).
    project
        A new default project (name; an empty string removes it).
    email
        A new e-mail address.
    description
        A new description.
    enabled
        Enable or disable it.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.user_update glance password=newsecret
    """
    conn = _connect(profile, kwargs)
    user = _require(_user(conn, name, domain), f"user {name!r}")
    body = _user_body(
        conn,
        domain,
        password=password,
        project=project,
        email=email,
        description=description,
        enabled=enabled,
    )
    if not body:
        return user
    path = f"/users/{user['id']}"
    return _clean(_request(conn, "PATCH", path, body={"user": body}, secrets=(password,))["user"])


def user_verify_password(name, password, domain="default", profile=None, **kwargs):
    """
    Tell whether ``password`` is the user's, by authenticating as the user.

    Keystone does not return passwords; this asks it for an unscoped token with
    the user's name and this password: ``True`` if Keystone issues one, ``False``
    if it refuses (wrong password, or a disabled or locked-out user; a refusal
    counts as a failed login if ``[security_compliance] lockout_failure_attempts``
    is set). The user's domain is looked up with the administrator's credentials.

    name
        The user's name.
    password
        The password to try.
    domain
        The user's domain's id or name (default: ``default``).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.user_verify_password glance password=secret
    """
    conn = _connect(profile, kwargs)
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": name,
                        "domain": {"id": _domain_id(conn, domain)},
                        "password": str(password),
                    }
                },
            },
            "scope": "unscoped",
        }
    }
    where = f"POST {conn.url}/auth/tokens (as user {name!r})"
    try:
        resp = conn.session.post(
            conn.url + "/auth/tokens",
            json=body,
            authenticated=False,
            raise_exc=False,
            log=False,
        )
    except ks_exceptions.ClientException as exc:
        raise CommandExecutionError(f"Keystone: {_scrub(exc, [password])} ({where})") from None
    if resp.status_code == 201:
        return True
    if resp.status_code == 401:
        return False
    raise CommandExecutionError(
        f"Keystone: {_scrub(resp.text.strip(), [password])} (HTTP {resp.status_code}, {where})"
    )


# --- roles and role assignments ---------------------------------------------


def role_get(name, profile=None, **kwargs):
    """
    Return a (global) role, or ``None``.

    name
        The role's name.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.role_get admin profile=openstack:keystone:auth
    """
    return _role(_connect(profile, kwargs), name)


def role_list(profile=None, **kwargs):
    """
    List the global roles.

    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.role_list profile=openstack:keystone:auth
    """
    conn = _connect(profile, kwargs)
    return [_clean(r) for r in _request(conn, "GET", "/roles")["roles"]]


def role_create(name, description=None, profile=None, **kwargs):
    """
    Create a global role; return it.

    name
        The role's name.
    description
        Its description.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.role_create member
    """
    conn = _connect(profile, kwargs)
    body = {"name": name}
    if description is not None:
        body["description"] = description
    return _clean(_request(conn, "POST", "/roles", body={"role": body})["role"])


def role_update(name, description=None, profile=None, **kwargs):
    """
    Change a role's description; return the role.

    name
        The role's name.
    description
        The new description.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.role_update member description="Project member"
    """
    conn = _connect(profile, kwargs)
    role = _require(_role(conn, name), f"role {name!r}")
    if description is None:
        return role
    body = {"role": {"description": description}}
    return _clean(_request(conn, "PATCH", f"/roles/{role['id']}", body=body)["role"])


def _grant_path(conn, user, project, role, domain):
    user_ref = _require(_user(conn, user, domain), f"user {user!r}")
    project_ref = _require(_project(conn, project, domain), f"project {project!r}")
    role_ref = _require(_role(conn, role), f"role {role!r}")
    return f"/projects/{project_ref['id']}/users/{user_ref['id']}/roles/{role_ref['id']}"


def role_assignment_list(
    user=None, project=None, role=None, domain="default", profile=None, **kwargs
):
    """
    List the project role assignments of users, filtered by user, project or role.

    Each assignment is ``{"user": name, "project": name, "role": name}``
    (direct assignments to users on projects; group and domain assignments are
    not listed).

    user
        Only this user's (name).
    project
        Only on this project (name).
    role
        Only of this role (name).
    domain
        The user's and project's domain (default: ``default``).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.role_assignment_list user=glance project=service
    """
    conn = _connect(profile, kwargs)
    params = {"include_names": "true"}
    if user is not None:
        params["user.id"] = _require(_user(conn, user, domain), f"user {user!r}")["id"]
    if project is not None:
        ref = _require(_project(conn, project, domain), f"project {project!r}")
        params["scope.project.id"] = ref["id"]
    if role is not None:
        params["role.id"] = _require(_role(conn, role), f"role {role!r}")["id"]
    found = _request(conn, "GET", "/role_assignments", params=params)["role_assignments"]
    return [
        {
            "user": a["user"]["name"],
            "project": a["scope"]["project"]["name"],
            "role": a["role"]["name"],
        }
        for a in found
        if "user" in a and "project" in a.get("scope", {})
    ]


def role_grant_check(user, project, role, domain="default", profile=None, **kwargs):
    """
    Tell whether the user has the role on the project (directly).

    user
        The user's name.
    project
        The project's name.
    role
        The role's name.
    domain
        The user's and project's domain (default: ``default``).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.role_grant_check glance service admin
    """
    conn = _connect(profile, kwargs)
    path = _grant_path(conn, user, project, role, domain)
    return _request(conn, "HEAD", path, missing_ok=True) is not None


def role_grant(user, project, role, domain="default", profile=None, **kwargs):
    """
    Grant the user the role on the project (nothing happens if it has it).

    user
        The user's name.
    project
        The project's name.
    role
        The role's name.
    domain
        The user's and project's domain (default: ``default``).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.role_grant glance service admin
    """
    conn = _connect(profile, kwargs)
    _request(conn, "PUT", _grant_path(conn, user, project, role, domain))
    return True


def role_revoke(user, project, role, domain="default", profile=None, **kwargs):
    """
    Revoke the user's role on the project.

    user
        The user's name.
    project
        The project's name.
    role
        The role's name.
    domain
        The user's and project's domain (default: ``default``).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.role_revoke glance service admin
    """
    conn = _connect(profile, kwargs)
    _request(conn, "DELETE", _grant_path(conn, user, project, role, domain))
    return True


# --- regions ----------------------------------------------------------------


def region_get(name, profile=None, **kwargs):
    """
    Return a region, or ``None``.

    name
        The region's id (``RegionOne``).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.region_get RegionOne
    """
    conn = _connect(profile, kwargs)
    found = _request(conn, "GET", f"/regions/{name}", missing_ok=True)
    return _clean(found["region"]) if found else None


def region_list(profile=None, **kwargs):
    """
    List the regions.

    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.region_list
    """
    conn = _connect(profile, kwargs)
    return [_clean(r) for r in _request(conn, "GET", "/regions")["regions"]]


def region_create(name, description=None, profile=None, **kwargs):
    """
    Create a region; return it.

    name
        The region's id (``RegionOne``).
    description
        Its description.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.region_create RegionOne
    """
    conn = _connect(profile, kwargs)
    body = {"id": name}
    if description is not None:
        body["description"] = description
    return _clean(_request(conn, "POST", "/regions", body={"region": body})["region"])


def region_update(name, description=None, profile=None, **kwargs):
    """
    Change a region's description; return the region.

    name
        The region's id.
    description
        The new description.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.region_update RegionOne description="The lab"
    """
    conn = _connect(profile, kwargs)
    found = _request(conn, "GET", f"/regions/{name}", missing_ok=True)
    region = _require(found and found["region"], f"region {name!r}")
    if description is None:
        return _clean(region)
    body = {"region": {"description": description}}
    return _clean(_request(conn, "PATCH", f"/regions/{name}", body=body)["region"])


# --- services ---------------------------------------------------------------


def service_get(name, service_type=None, profile=None, **kwargs):
    """
    Return a service, or ``None``.

    name
        The service's name (``nova``).
    service_type
        Its type (``compute``); needed only if several services share the name.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.service_get nova service_type=compute
    """
    return _service(_connect(profile, kwargs), name, service_type)


def service_list(service_type=None, profile=None, **kwargs):
    """
    List the services, all or those of one type.

    service_type
        Only services of this type.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.service_list
    """
    conn = _connect(profile, kwargs)
    params = {"type": service_type} if service_type else None
    return [_clean(s) for s in _request(conn, "GET", "/services", params=params)["services"]]


def service_create(name, service_type, description=None, enabled=True, profile=None, **kwargs):
    """
    Create a service; return it.

    name
        The service's name (``nova``).
    service_type
        Its type (``compute``).
    description
        Its description.
    enabled
        Whether it is enabled (default: true).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.service_create nova compute description="OpenStack Compute"
    """
    conn = _connect(profile, kwargs)
    body = {"name": name, "type": service_type, "enabled": bool(enabled)}
    if description is not None:
        body["description"] = description
    return _clean(_request(conn, "POST", "/services", body={"service": body})["service"])


def service_update(name, service_type=None, description=None, enabled=None, profile=None, **kwargs):
    """
    Change a service's description or enabled flag; return the service.

    name
        The service's name.
    service_type
        Its type, to tell services of the same name apart.
    description
        The new description.
    enabled
        Enable or disable it.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.service_update nova description="Compute"
    """
    conn = _connect(profile, kwargs)
    service = _require(_service(conn, name, service_type), f"service {name!r}")
    body = {}
    if description is not None:
        body["description"] = description
    if enabled is not None:
        body["enabled"] = bool(enabled)
    if not body:
        return service
    path = f"/services/{service['id']}"
    return _clean(_request(conn, "PATCH", path, body={"service": body})["service"])


# --- endpoints --------------------------------------------------------------


def endpoint_get(service, interface, region=None, service_type=None, profile=None, **kwargs):
    """
    Return a service's endpoint for one interface and region, or ``None``.

    service
        The service's name.
    interface
        ``public``, ``internal`` or ``admin``.
    region
        The endpoint's region (none: the endpoint without a region).
    service_type
        The service's type, if its name is ambiguous.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.endpoint_get nova public region=RegionOne
    """
    _check_interface(interface)
    conn = _connect(profile, kwargs)
    found = _require(_service(conn, service, service_type), f"service {service!r}")
    return _endpoint(conn, found["id"], interface, region)


def endpoint_list(
    service=None, interface=None, region=None, service_type=None, profile=None, **kwargs
):
    """
    List endpoints, filtered by service, interface or region.

    service
        Only this service's (name).
    interface
        Only this interface's.
    region
        Only this region's.
    service_type
        The service's type, if its name is ambiguous.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.endpoint_list service=nova
    """
    conn = _connect(profile, kwargs)
    params = {}
    if service is not None:
        params["service_id"] = _require(
            _service(conn, service, service_type), f"service {service!r}"
        )["id"]
    if interface is not None:
        _check_interface(interface)
        params["interface"] = interface
    if region is not None:
        params["region_id"] = region
    return [_clean(e) for e in _request(conn, "GET", "/endpoints", params=params)["endpoints"]]


def endpoint_create(
    service,
    interface,
    url,
    region=None,
    *,
    service_type=None,
    enabled=True,
    profile=None,
    **kwargs,
):
    """
    Create an endpoint; return it. The region must exist (see :func:`region_create`).

    service
        The service's name.
    interface
        ``public``, ``internal`` or ``admin``.
    url
        The endpoint's URL.
    region
        Its region.
    service_type
        The service's type, if its name is ambiguous.
    enabled
        Whether it is enabled (default: true).
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.endpoint_create nova public http://controller:8774 region=RegionOne
    """
    _check_interface(interface)
    conn = _connect(profile, kwargs)
    found = _require(_service(conn, service, service_type), f"service {service!r}")
    body = {
        "service_id": found["id"],
        "interface": interface,
        "url": url,
        "enabled": bool(enabled),
    }
    if region:
        body["region_id"] = region
    return _clean(_request(conn, "POST", "/endpoints", body={"endpoint": body})["endpoint"])


def endpoint_update(
    service,
    interface,
    url=None,
    region=None,
    *,
    service_type=None,
    enabled=None,
    profile=None,
    **kwargs,
):
    """
    Change an endpoint's URL or enabled flag; return the endpoint.

    service
        The service's name.
    interface
        ``public``, ``internal`` or ``admin``.
    url
        The new URL.
    region
        The endpoint's region.
    service_type
        The service's type, if its name is ambiguous.
    enabled
        Enable or disable it.
    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.endpoint_update nova public url=http://controller:8774/v2.1
    """
    _check_interface(interface)
    conn = _connect(profile, kwargs)
    found = _require(_service(conn, service, service_type), f"service {service!r}")
    endpoint = _require(
        _endpoint(conn, found["id"], interface, region),
        f"{interface} endpoint of {service!r} in region {region or '(none)'}",
    )
    body = {}
    if url is not None:
        body["url"] = url
    if enabled is not None:
        body["enabled"] = bool(enabled)
    if not body:
        return endpoint
    path = f"/endpoints/{endpoint['id']}"
    return _clean(_request(conn, "PATCH", path, body={"endpoint": body})["endpoint"])
