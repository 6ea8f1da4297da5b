"""
Manage Keystone, OpenStack's Identity service, through its v3 API.

The guide's ``keystone-init`` (a YAML file of tenants, users, roles, services
and endpoints fed to a script) as Salt functions: get, list, create and update
projects, users (with their passwords), roles, role assignments, regions,
services and endpoints.

Library
-------
keystoneauth1 (``python3-keystoneauth1`` on Debian and EL), through the client
in ``_utils/keystone_api.py`` that this module and the ``keystone`` state
module share (synced to minions with the rest: ``saltutil.sync_all``).

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

try:
    # The shared client, from Salt's utils directory (see its documentation).
    import keystone_api
except ImportError:
    keystone_api = None

__virtualname__ = "keystone"


def __virtual__():
    if keystone_api is None:
        return (
            False,
            "The keystone module needs keystone_api from the project's _utils "
            "(saltutil.sync_all syncs it; locally: utils_dirs)",
        )
    if not keystone_api.HAS_KEYSTONEAUTH:
        return (
            False,
            "The keystone module needs the keystoneauth1 library "
            "(python3-keystoneauth1 on Debian and EL, keystoneauth1 on PyPI)",
        )
    return __virtualname__


def _client(profile, kwargs):
    """The Keystone client for these credentials (see the module's documentation)."""
    settings = keystone_api.auth_settings(profile, kwargs, __salt__["config.get"])
    return keystone_api.connect(__context__, settings)


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
    return _client(profile, kwargs).project(name, domain)


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
    client = _client(profile, kwargs)
    params = {"domain_id": client.domain_id(domain)} if domain else None
    return client.list("projects", params)


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
    client = _client(profile, kwargs)
    body = {"name": name, "domain_id": client.domain_id(domain), "enabled": bool(enabled)}
    if description is not None:
        body["description"] = description
    return client.create("project", body)


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
    client = _client(profile, kwargs)
    project = client.project(name, domain, required=True)
    body = {}
    if description is not None:
        body["description"] = description
    if enabled is not None:
        body["enabled"] = bool(enabled)
    if not body:
        return project
    return client.update("project", project["id"], body)


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
    return _client(profile, kwargs).user(name, domain)


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
    client = _client(profile, kwargs)
    params = {"domain_id": client.domain_id(domain)} if domain else None
    return client.list("users", params)


def _user_body(client, domain, *, password, project, email, description, enabled):
    body = {}
    if password is not None:
        body["password"] = str(password)
    if project is not None:
        if project == "":
            body["default_project_id"] = None
        else:
            found = client.project(project, domain, required=True)
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
    client = _client(profile, kwargs)
    body = _user_body(
        client,
        domain,
        password=password,
        project=project,
        email=email,
        description=description,
        enabled=enabled,
    )
    body.update(name=name, domain_id=client.domain_id(domain))
    return client.create("user", body, secrets=(password,))


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
    client = _client(profile, kwargs)
    user = client.user(name, domain, required=True)
    body = _user_body(
        client,
        domain,
        password=password,
        project=project,
        email=email,
        description=description,
        enabled=enabled,
    )
    if not body:
        return user
    return client.update("user", user["id"], body, secrets=(password,))


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
    client = _client(profile, kwargs)
    return client.authenticates(name, client.domain_id(domain), password)


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
    return _client(profile, kwargs).role(name)


def role_list(profile=None, **kwargs):
    """
    List the global roles.

    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.role_list profile=openstack:keystone:auth
    """
    return _client(profile, kwargs).list("roles")


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
    client = _client(profile, kwargs)
    body = {"name": name}
    if description is not None:
        body["description"] = description
    return client.create("role", body)


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
    client = _client(profile, kwargs)
    role = client.role(name, required=True)
    if description is None:
        return role
    return client.update("role", role["id"], {"description": description})


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
    client = _client(profile, kwargs)
    params = {"include_names": "true"}
    if user is not None:
        params["user.id"] = client.user(user, domain, required=True)["id"]
    if project is not None:
        ref = client.project(project, domain, required=True)
        params["scope.project.id"] = ref["id"]
    if role is not None:
        params["role.id"] = client.role(role, required=True)["id"]
    found = client.request("GET", "/role_assignments", params=params)["role_assignments"]
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
    client = _client(profile, kwargs)
    path = client.grant_path(user, project, role, domain)
    return client.request("HEAD", path, missing_ok=True) is not None


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
    client = _client(profile, kwargs)
    client.request("PUT", client.grant_path(user, project, role, domain))
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
    client = _client(profile, kwargs)
    client.request("DELETE", client.grant_path(user, project, role, domain))
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
    return _client(profile, kwargs).get("region", name)


def region_list(profile=None, **kwargs):
    """
    List the regions.

    profile
        Credentials: see the module's documentation (or ``os_*`` arguments).

    CLI Example:

    .. code-block:: bash

        salt controller keystone.region_list
    """
    return _client(profile, kwargs).list("regions")


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
    client = _client(profile, kwargs)
    body = {"id": name}
    if description is not None:
        body["description"] = description
    return client.create("region", body)


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
    client = _client(profile, kwargs)
    region = keystone_api.require(client.get("region", name), f"region {name!r}")
    if description is None:
        return region
    return client.update("region", name, {"description": description})


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
    return _client(profile, kwargs).service(name, service_type)


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
    client = _client(profile, kwargs)
    params = {"type": service_type} if service_type else None
    return client.list("services", params)


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
    client = _client(profile, kwargs)
    body = {"name": name, "type": service_type, "enabled": bool(enabled)}
    if description is not None:
        body["description"] = description
    return client.create("service", body)


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
    client = _client(profile, kwargs)
    service = client.service(name, service_type, required=True)
    body = {}
    if description is not None:
        body["description"] = description
    if enabled is not None:
        body["enabled"] = bool(enabled)
    if not body:
        return service
    return client.update("service", service["id"], body)


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
    keystone_api.check_interface(interface)
    client = _client(profile, kwargs)
    found = client.service(service, service_type, required=True)
    return client.endpoint(found["id"], interface, region)


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
    client = _client(profile, kwargs)
    params = {}
    if service is not None:
        params["service_id"] = client.service(service, service_type, required=True)["id"]
    if interface is not None:
        keystone_api.check_interface(interface)
        params["interface"] = interface
    if region is not None:
        params["region_id"] = region
    return client.list("endpoints", params)


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
    keystone_api.check_interface(interface)
    client = _client(profile, kwargs)
    found = client.service(service, service_type, required=True)
    body = {
        "service_id": found["id"],
        "interface": interface,
        "url": url,
        "enabled": bool(enabled),
    }
    if region:
        body["region_id"] = region
    return client.create("endpoint", body)


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
    keystone_api.check_interface(interface)
    client = _client(profile, kwargs)
    found = client.service(service, service_type, required=True)
    endpoint = keystone_api.require(
        client.endpoint(found["id"], interface, region),
        f"{interface} endpoint of {service!r} in region {region or '(none)'}",
    )
    body = {}
    if url is not None:
        body["url"] = url
    if enabled is not None:
        body["enabled"] = bool(enabled)
    if not body:
        return endpoint
    return client.update("endpoint", endpoint["id"], body)
