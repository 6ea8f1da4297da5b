"""
Ensure Keystone's projects, users, roles, grants, regions, services and
endpoints are present: the guide's ``keystone-init``, kept as data in pillar.

Uses the ``keystone`` execution module (keystoneauth1, Identity API v3); see
its documentation for the credentials (``profile``, or ``os_*`` arguments),
and for how objects are named. The masking of secrets and the checks of the
arguments are the execution module's own, from ``_utils/keystone_api.py``.

Every state is idempotent and reports ``changes`` as ``{key: {old, new}}``
(a created object as ``{kind: {old: None, new: {...}}}``); under ``test=True``
it changes nothing, its result is ``None`` when something would change, and
``changes`` says what. A password never appears in ``changes`` or in a comment:
a user's password is compared by authenticating as the user with the wanted
one, and reported as ``password: {old: (differs), new: ******}``.

keystone-init as data
---------------------
:func:`bootstrapped` takes keystone-init's data in one state::

    {%- from tplroot ~ "/map.jinja" import openstack with context %}
    keystone-bootstrap-catalog:
      keystone.bootstrapped:
        - profile:
            auth_url: http://controller:5000/v3
            username: admin
            password: {{ openstack.secrets.admin_password | json }}
            project_name: admin
        - region: RegionOne
        - projects:
          - {name: service, description: Service Project}
        - roles: [admin, member]
        - users:
          - {name: glance, password: ..., project: service, roles: [admin]}
          - {name: nova, password: ..., project: service, roles: [admin]}
        - services:
          - name: glance
            type: image
            description: OpenStack Image
            endpoints:
              public: http://controller:9292
              internal: http://controller:9292
              admin: http://controller:9292

Each list may also be a dictionary keyed by name (``users: {glance: {password:
...}}``), which pillar merges better; an item may be a bare name. Services also
take keystone-init's ``publicurl``, ``internalurl`` and ``adminurl`` instead of
``endpoints``, and their own ``region``. The same can be written with the
individual states (``project_present``, ``role_present``, ``user_present``,
``service_present``, ``endpoint_present``), one state ID each.
"""

import keystone_api
from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "keystone"

PASSWORD_DIFFERS = "(differs)"


def __virtual__():
    if "keystone.project_get" in __salt__:
        return __virtualname__
    return (False, "The keystone state needs the keystone execution module (keystoneauth1)")


# --- helpers ----------------------------------------------------------------


def _ret(name):
    return {"name": name, "result": True, "comment": "", "changes": {}}


def _auth(profile, kwargs):
    """The credentials to pass on; any other keyword argument is a mistake."""
    # "_": the state system's own (__id__, __sls__, ...)
    return {"profile": profile, **keystone_api.os_arguments(kwargs, internal="_")}


def _fail(ret, exc, secrets=()):
    ret["result"] = False
    ret["comment"] = keystone_api.scrub(exc, secrets)
    return ret


def _test():
    return bool(__opts__.get("test"))


def _shown(**fields):
    return {k: v for k, v in fields.items() if v is not None}


def _diff(have, want):
    return {
        key: {"old": have.get(key), "new": value}
        for key, value in want.items()
        if value is not None and have.get(key) != value
    }


def _finish(ret, what, verb, fields=()):
    """Set result and comment from ``ret['changes']`` (already filled)."""
    fields = f": {', '.join(fields)}" if fields else ""
    if not ret["changes"]:
        ret["comment"] = f"{what} is already as wanted"
    elif _test():
        ret["result"] = None
        ret["comment"] = f"{what} would be {verb}{fields}"
    else:
        ret["comment"] = f"{what} {verb}{fields}"
    return ret


def _ensure(ret, what, current, *, kind, identity, have, want, create, update):
    """
    Create the object (``identity`` and ``want`` are its fields), or update the
    fields of ``want`` that differ from ``have`` (a ``None`` in ``want``: not managed).
    """
    if current is None:
        ret["changes"][kind] = {"old": None, "new": _shown(**identity, **want)}
        if not _test():
            create()
        return _finish(ret, what, "created")
    diff = _diff(have, want)
    ret["changes"].update(diff)
    if diff and not _test():
        update({key: change["new"] for key, change in diff.items()})
    return _finish(ret, what, "updated", sorted(diff))


def _description(obj):
    return obj.get("description") or ""


# --- individual states ------------------------------------------------------


def project_present(name, description=None, domain="default", enabled=True, profile=None, **kwargs):
    """
    Ensure a project exists, with this description and enabled flag.

    name
        The project's name (keystone-init's tenant).
    description
        Its description (not managed if not given).
    domain
        Its domain (default: ``default``).
    enabled
        Whether it is enabled (default: true).
    profile
        Credentials (see the ``keystone`` execution module), or ``os_*`` arguments.
    """
    ret = _ret(name)
    try:
        auth = _auth(profile, kwargs)
        current = __salt__["keystone.project_get"](name, domain=domain, **auth)
        return _ensure(
            ret,
            f"Project {name!r}",
            current,
            kind="project",
            identity={"name": name, "domain": domain},
            have=current and {"description": _description(current), "enabled": current["enabled"]},
            want={"description": description, "enabled": enabled},
            create=lambda: __salt__["keystone.project_create"](
                name, description=description, domain=domain, enabled=enabled, **auth
            ),
            update=lambda fields: __salt__["keystone.project_update"](
                name, domain=domain, **fields, **auth
            ),
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _fail(ret, exc)


def role_present(name, description=None, profile=None, **kwargs):
    """
    Ensure a (global) role exists.

    name
        The role's name.
    description
        Its description (not managed if not given).
    profile
        Credentials (see the ``keystone`` execution module), or ``os_*`` arguments.
    """
    ret = _ret(name)
    try:
        auth = _auth(profile, kwargs)
        current = __salt__["keystone.role_get"](name, **auth)
        return _ensure(
            ret,
            f"Role {name!r}",
            current,
            kind="role",
            identity={"name": name},
            have=current and {"description": _description(current)},
            want={"description": description},
            create=lambda: __salt__["keystone.role_create"](name, description=description, **auth),
            update=lambda fields: __salt__["keystone.role_update"](name, **fields, **auth),
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _fail(ret, exc)


def region_present(name, description=None, profile=None, **kwargs):
    """
    Ensure a region exists.

    name
        The region's id (``RegionOne``).
    description
        Its description (not managed if not given).
    profile
        Credentials (see the ``keystone`` execution module), or ``os_*`` arguments.
    """
    ret = _ret(name)
    try:
        auth = _auth(profile, kwargs)
        current = __salt__["keystone.region_get"](name, **auth)
        return _ensure(
            ret,
            f"Region {name!r}",
            current,
            kind="region",
            identity={"name": name},
            have=current and {"description": _description(current)},
            want={"description": description},
            create=lambda: __salt__["keystone.region_create"](
                name, description=description, **auth
            ),
            update=lambda fields: __salt__["keystone.region_update"](name, **fields, **auth),
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _fail(ret, exc)


def service_present(name, service_type, description=None, enabled=True, profile=None, **kwargs):
    """
    Ensure a service (a catalog entry: name and type) exists.

    name
        The service's name (``nova``).
    service_type
        Its type (``compute``).
    description
        Its description (not managed if not given).
    enabled
        Whether it is enabled (default: true).
    profile
        Credentials (see the ``keystone`` execution module), or ``os_*`` arguments.
    """
    ret = _ret(name)
    try:
        auth = _auth(profile, kwargs)
        current = __salt__["keystone.service_get"](name, service_type=service_type, **auth)
        return _ensure(
            ret,
            f"Service {name!r} ({service_type})",
            current,
            kind="service",
            identity={"name": name, "type": service_type},
            have=current and {"description": _description(current), "enabled": current["enabled"]},
            want={"description": description, "enabled": enabled},
            create=lambda: __salt__["keystone.service_create"](
                name, service_type, description=description, enabled=enabled, **auth
            ),
            update=lambda fields: __salt__["keystone.service_update"](
                name, service_type=service_type, **fields, **auth
            ),
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _fail(ret, exc)


def endpoint_present(
    name,
    url,
    interface="public",
    *,
    service=None,
    region=None,
    service_type=None,
    enabled=True,
    profile=None,
    **kwargs,
):
    """
    Ensure a service has an endpoint with this URL, for one interface and region.

    The endpoint is found by service, interface and region; its URL is changed
    if it differs. A missing region is created.

    name
        The service's name, unless ``service`` is given.
    url
        The endpoint's URL.
    interface
        ``public`` (default), ``internal`` or ``admin``.
    service
        The service's name (default: ``name``).
    region
        The endpoint's region (``RegionOne``).
    service_type
        The service's type, if its name is ambiguous.
    enabled
        Whether it is enabled (default: true).
    profile
        Credentials (see the ``keystone`` execution module), or ``os_*`` arguments.
    """
    ret = _ret(name)
    service = service or name
    what = f"Endpoint {interface} of {service!r}" + (f" in {region}" if region else "")
    try:
        auth = _auth(profile, kwargs)
        keystone_api.check_interface(interface)
        found = __salt__["keystone.service_get"](service, service_type=service_type, **auth)
        if found is None and not _test():
            raise CommandExecutionError(f"Keystone: service {service!r} not found")
        current = None
        if found is not None:
            current = __salt__["keystone.endpoint_get"](
                service, interface, region=region, service_type=service_type, **auth
            )
        # An endpoint found in the region proves the region exists.
        if region and current is None and __salt__["keystone.region_get"](region, **auth) is None:
            ret["changes"]["region"] = {"old": None, "new": region}
            if not _test():
                __salt__["keystone.region_create"](region, **auth)
        return _ensure(
            ret,
            what,
            current,
            kind="endpoint",
            identity={"service": service, "interface": interface, "region": region},
            have=current and {"url": current["url"], "enabled": current["enabled"]},
            want={"url": url, "enabled": enabled},
            create=lambda: __salt__["keystone.endpoint_create"](
                service,
                interface,
                url,
                region=region,
                service_type=service_type,
                enabled=enabled,
                **auth,
            ),
            update=lambda fields: __salt__["keystone.endpoint_update"](
                service, interface, region=region, service_type=service_type, **fields, **auth
            ),
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _fail(ret, exc)


def _names(value, what):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SaltInvocationError(f"{what}: a list of names")
    return list(value)


def _project_name(project_id, auth):
    if not project_id:
        return None
    for project in __salt__["keystone.project_list"](**auth):
        if project["id"] == project_id:
            return project["name"]
    return project_id


def user_present(
    name,
    password=None,
    *,
    domain="default",
    project=None,
    roles=None,
    email=None,
    description=None,
    enabled=True,
    profile=None,
    **kwargs,
):
    """
    Ensure a user exists, with this password, default project and roles on it.

    The password is compared by authenticating as the user with it (Keystone
    never returns passwords) and set if that fails; it is never shown. The
    password of a disabled user cannot be checked that way and is left alone.

    name
        The user's name.
    password
        Its password (not managed if not given).
    domain
        Its domain, and its project's (default: ``default``).
    project
        Its default project (keystone-init's tenant; not managed if not given).
    roles
        Roles the user must have on ``project`` (others it has are kept).
    email
        Its e-mail address (not managed if not given).
    description
        Its description (not managed if not given).
    enabled
        Whether it is enabled (default: true).
    profile
        Credentials (see the ``keystone`` execution module), or ``os_*`` arguments.
    """
    ret = _ret(name)
    what = f"User {name!r}"
    secrets = [password] if password else []
    test = _test()
    notes = []
    try:
        auth = _auth(profile, kwargs)
        roles = _names(roles, "roles")
        if roles and not project:
            raise SaltInvocationError(f"{what}: roles are granted on a project; none given")
        project_ref = None
        if project:
            project_ref = __salt__["keystone.project_get"](project, domain=domain, **auth)
            if project_ref is None and not test:
                raise CommandExecutionError(f"Keystone: project {project!r} not found")
        current = __salt__["keystone.user_get"](name, domain=domain, **auth)
        if current is None:
            ret["changes"]["user"] = {
                "old": None,
                "new": _shown(
                    name=name,
                    domain=domain,
                    project=project,
                    email=email,
                    description=description,
                    enabled=enabled,
                    password=keystone_api.MASK if password is not None else None,
                ),
            }
            if not test:
                __salt__["keystone.user_create"](
                    name,
                    password=password,
                    domain=domain,
                    project=project,
                    email=email,
                    description=description,
                    enabled=enabled,
                    **auth,
                )
            verb = "created"
        else:
            verb = "updated"
            have = {
                "email": current.get("email"),
                "description": _description(current),
                "enabled": current.get("enabled", True),
            }
            diff = _diff(have, {"email": email, "description": description, "enabled": enabled})
            if project and (
                project_ref is None or current.get("default_project_id") != project_ref["id"]
            ):
                diff["project"] = {
                    "old": _project_name(current.get("default_project_id"), auth),
                    "new": project,
                }
            if password is not None:
                if have["enabled"]:
                    if not __salt__["keystone.user_verify_password"](
                        name, password, domain=domain, **auth
                    ):
                        diff["password"] = {"old": PASSWORD_DIFFERS, "new": keystone_api.MASK}
                elif not enabled:
                    notes.append("its password is not checked: the user is disabled")
                elif test:
                    notes.append("its password will be checked once the user is enabled")
            ret["changes"].update(diff)
            if diff and not test:
                __salt__["keystone.user_update"](
                    name,
                    domain=domain,
                    password=password if "password" in diff else None,
                    project=project if "project" in diff else None,
                    email=email if "email" in diff else None,
                    description=description if "description" in diff else None,
                    enabled=enabled if "enabled" in diff else None,
                    **auth,
                )
            if (
                password is not None
                and not have["enabled"]
                and enabled
                and not test
                and not __salt__["keystone.user_verify_password"](
                    name, password, domain=domain, **auth
                )
            ):
                __salt__["keystone.user_update"](name, domain=domain, password=password, **auth)
                ret["changes"]["password"] = {"old": PASSWORD_DIFFERS, "new": keystone_api.MASK}
        if roles:
            have_roles = set()
            if current is not None and project_ref is not None:
                have_roles = {
                    a["role"]
                    for a in __salt__["keystone.role_assignment_list"](
                        user=name, project=project, domain=domain, **auth
                    )
                }
            missing = [r for r in roles if r not in have_roles]
            if missing:
                ret["changes"]["roles"] = {
                    "old": sorted(have_roles),
                    "new": sorted(have_roles | set(roles)),
                }
                if not test:
                    for role in missing:
                        __salt__["keystone.role_grant"](name, project, role, domain=domain, **auth)
        fields = sorted(k for k in ret["changes"] if k != "user")
        _finish(ret, what, verb, fields if verb == "updated" else ())
        if current is None and "roles" in ret["changes"]:
            ret["comment"] += f", roles {', '.join(roles)} on {project!r}"
        if notes:
            ret["comment"] += "; " + "; ".join(notes)
        return ret
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _fail(ret, exc, secrets)


def role_grant_present(name, user, project, role=None, *, domain="default", profile=None, **kwargs):
    """
    Ensure a user has a role on a project.

    name
        The role's name, unless ``role`` is given.
    user
        The user's name.
    project
        The project's name.
    role
        The role's name (default: ``name``).
    domain
        The user's and project's domain (default: ``default``).
    profile
        Credentials (see the ``keystone`` execution module), or ``os_*`` arguments.
    """
    ret = _ret(name)
    role = role or name
    what = f"Role {role!r} of user {user!r} on project {project!r}"
    try:
        auth = _auth(profile, kwargs)
        lookups = [
            ("user", user, __salt__["keystone.user_get"](user, domain=domain, **auth)),
            ("project", project, __salt__["keystone.project_get"](project, domain=domain, **auth)),
            ("role", role, __salt__["keystone.role_get"](role, **auth)),
        ]
        absent = [f"{kind} {ident!r}" for kind, ident, ref in lookups if ref is None]
        if absent and not _test():
            raise CommandExecutionError(f"Keystone: {', '.join(absent)} not found")
        granted = not absent and __salt__["keystone.role_grant_check"](
            user, project, role, domain=domain, **auth
        )
        if not granted:
            ret["changes"]["grant"] = {
                "old": None,
                "new": {"user": user, "project": project, "role": role},
            }
            if not _test():
                __salt__["keystone.role_grant"](user, project, role, domain=domain, **auth)
        return _finish(ret, what, "granted")
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _fail(ret, exc)


# --- keystone-init as data --------------------------------------------------

_ITEM_KEYS = {
    "projects": {"name", "description", "enabled", "domain"},
    "roles": {"name", "description"},
    "users": {
        "name",
        "password",
        "project",
        "roles",
        "email",
        "description",
        "enabled",
        "domain",
    },
    "services": {
        "name",
        "type",
        "description",
        "enabled",
        "region",
        "endpoints",
        "publicurl",
        "internalurl",
        "adminurl",
    },
}


def _items(value, kind):
    """Normalise one of bootstrapped's lists: names, dicts, or a dict by name."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [{"name": key, **(item or {})} for key, item in value.items()]
    if not isinstance(value, (list, tuple)):
        raise SaltInvocationError(f"{kind}: a list, or a dictionary by name")
    items = []
    for entry in value:
        item = {"name": entry} if isinstance(entry, str) else entry
        if not isinstance(item, dict) or not item.get("name"):
            raise SaltInvocationError(f"{kind}: every item needs a name")
        unknown = sorted(set(item) - _ITEM_KEYS[kind])
        if unknown:
            raise SaltInvocationError(f"{kind} {item['name']!r}: unknown keys {', '.join(unknown)}")
        items.append(item)
    return items


def _endpoints(service):
    interfaces = keystone_api.INTERFACES
    endpoints = dict(service.get("endpoints") or {})
    for interface in interfaces:
        if service.get(f"{interface}url"):
            endpoints.setdefault(interface, service[f"{interface}url"])
    bad = sorted(set(endpoints) - set(interfaces))
    if bad:
        raise SaltInvocationError(
            f"service {service['name']!r}: endpoint interfaces are {', '.join(interfaces)}, "
            f"not {', '.join(bad)}"
        )
    return [(i, endpoints[i]) for i in interfaces if i in endpoints]


def _passwords(users):
    """Every password in bootstrapped's users, however malformed the list."""
    if isinstance(users, dict):
        users = list(users.values())
    if not isinstance(users, (list, tuple)):
        return []
    return [u["password"] for u in users if isinstance(u, dict) and u.get("password")]


def _plan(*, projects, roles, users, services, region, domain):
    """The individual states to run, in order: (kind, label, function, arguments)."""
    steps = []
    for item in _items(roles, "roles"):
        steps.append(("role", item["name"], role_present, item))
    for item in _items(projects, "projects"):
        steps.append(("project", item["name"], project_present, {"domain": domain, **item}))
    for item in _items(users, "users"):
        steps.append(("user", item["name"], user_present, {"domain": domain, **item}))
    regions = []
    services = _items(services, "services")
    for item in services:
        if not item.get("type"):
            raise SaltInvocationError(f"service {item['name']!r}: its type is missing")
        service_region = item.get("region", region)
        if service_region and service_region not in regions:
            regions.append(service_region)
    for name in regions:
        steps.append(("region", name, region_present, {"name": name}))
    for item in services:
        args = {k: item[k] for k in ("name", "description", "enabled") if k in item}
        steps.append(
            ("service", item["name"], service_present, {"service_type": item["type"], **args})
        )
    for item in services:
        service_region = item.get("region", region)
        for interface, url in _endpoints(item):
            label = f"{item['name']} {interface}" + (f" {service_region}" if service_region else "")
            args = {
                "name": item["name"],
                "service_type": item["type"],
                "interface": interface,
                "url": url,
                "region": service_region,
            }
            steps.append(("endpoint", label, endpoint_present, args))
    return steps


def bootstrapped(
    name,
    *,
    projects=None,
    roles=None,
    users=None,
    services=None,
    region=None,
    domain="default",
    profile=None,
    **kwargs,
):
    """
    Ensure keystone-init's data is in Keystone: roles, projects, users with their
    roles on their project, the region, services and their endpoints.

    Runs :func:`role_present`, :func:`project_present`, :func:`user_present`,
    :func:`region_present`, :func:`service_present` and :func:`endpoint_present`
    in that order and reports their changes under ``"<kind> <name>"`` (a
    created object) or ``"<kind> <name> <field>"`` (a changed field); stops at
    the first failure. Nothing is done if the data is malformed.

    name
        A label for the state (not used).
    projects
        Projects (tenants): names, or ``{name, description, enabled}``.
    roles
        Roles: names, or ``{name, description}``.
    users
        Users: ``{name, password, project, roles, email, description, enabled}``.
    services
        Services: ``{name, type, description, region, endpoints: {public: url,
        internal: url, admin: url}}`` (or keystone-init's ``publicurl``,
        ``internalurl``, ``adminurl``).
    region
        The endpoints' region unless a service says otherwise (``RegionOne``).
    domain
        The projects' and users' domain unless an item says otherwise.
    profile
        Credentials (see the ``keystone`` execution module), or ``os_*`` arguments.
    """
    ret = _ret(name)
    secrets = _passwords(users)
    try:
        auth = _auth(profile, kwargs)
        steps = _plan(
            projects=projects,
            roles=roles,
            users=users,
            services=services,
            region=region,
            domain=domain,
        )
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _fail(ret, exc, secrets)
    comments = []
    counts = {}
    for kind, label, function, args in steps:
        sub = function(**args, **auth)
        for key, change in sub["changes"].items():
            ret["changes"][f"{kind} {label}" if key == kind else f"{kind} {label} {key}"] = change
        if sub["result"] is False:
            ret["result"] = False
            comments.append(f"Stopped: {sub['comment']}")
            break
        if sub["result"] is None:
            ret["result"] = None
        if sub["changes"] or sub["result"] is not True:
            comments.append(sub["comment"])
        counts[kind] = counts.get(kind, 0) + 1
    if not comments:
        comments.append(
            "Keystone is as wanted: "
            + ", ".join(
                f"{count} {kind}{'s' if count > 1 else ''}" for kind, count in counts.items()
            )
        )
    ret["comment"] = keystone_api.scrub("\n".join(comments), secrets)
    return ret
