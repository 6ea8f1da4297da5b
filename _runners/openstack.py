"""
The cloud's pillar, checked and completed on the master.

The guide kept its settings in ``config/configrc`` and ``config/hosts`` and
trusted the reader to edit them correctly. Here the same data lives in pillar
and two runners guard it:

- ``openstack.secrets`` generates every password the user did not set, once,
  into a git-ignored pillar file (``pillar/secrets/generated.sls``), and never
  changes a value already there;
- ``openstack.validate`` checks the whole pillar and lists every problem in one
  message. It is the first stage of the orchestration: when it fails, nothing
  else runs and no host is touched.

CLI Example:

.. code-block:: bash

    salt-run openstack.secrets
    salt-run openstack.validate
    salt-run openstack.validate path=/tmp/my-edited-pillar.yaml
"""

import fcntl
import logging
import os
import re
import secrets as _random
import tempfile

import salt.pillar
import salt.utils.yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from salt.exceptions import SaltInvocationError

try:
    import netaddr

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - netaddr is in requirements.txt
    HAS_NETADDR = False

log = logging.getLogger(__name__)

__virtualname__ = "openstack"

# The roles of the guide: the controller runs the control plane, compute hosts
# run instances and hold the GlusterFS bricks, the gateway (a compute host with
# a second, public interface) does NAT, DHCP, the VNC proxy and the dashboard.
ROLES = ("controller", "compute", "gateway")

# Secrets that do not belong to one service (guide: config/configrc).
COMMON_SECRETS = (
    "admin_password",  # OS_PASSWORD
    "mysql_root_password",  # MYSQL_ROOT_PASSWORD
    "rabbitmq_password",  # replaces Qpid, which had none
    "metadata_proxy_secret",  # nova metadata API <-> neutron metadata agent
    "horizon_secret_key",  # Django's SECRET_KEY for the dashboard
    # nova's SSH key pair for live migration over SSH (the guide opened
    # libvirtd on TCP without authentication instead)
    "nova_migration_ssh_key",
    "nova_migration_ssh_pubkey",
)

SECRETS_SLS = os.path.join("secrets", "generated.sls")

# RFC 1123 host name label: letters, digits and hyphens, 1 to 63 characters,
# neither starting nor ending with a hyphen.
DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
# Linux interface names: at most 15 characters, no slash, colon or blank.
IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


def __virtual__():
    if not HAS_NETADDR:
        return False, "the openstack runner needs the netaddr library"
    return __virtualname__


def secret_names(openstack):
    """
    The names of every secret the cloud needs, derived from the services in
    pillar: one database password per service with a database, one password
    per service user, plus the cloud-wide ones.
    """
    names = list(COMMON_SECRETS)
    for service, spec in sorted((openstack.get("services") or {}).items()):
        if (spec or {}).get("database"):
            names.append(f"{service}_db_password")
        if (spec or {}).get("user"):
            names.append(f"{service}_password")
    return names


def _problem(problems, key, message):
    problems.append(f"{key}: {message}")


def _ip(problems, key, value):
    """Parse one IPv4 address, or record why it is not one."""
    if not isinstance(value, str) or not value:
        _problem(problems, key, f"missing or not a string ({value!r})")
        return None
    try:
        addr = netaddr.IPAddress(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        _problem(problems, key, f"'{value}' is not a valid IP address")
        return None
    if addr.version != 4:
        _problem(problems, key, f"'{value}' is not an IPv4 address")
        return None
    return addr


def _cidr(problems, key, value):
    """Parse one IPv4 network in CIDR form, or record why it is not one."""
    if not isinstance(value, str) or "/" not in value:
        _problem(problems, key, f"'{value}' is not a network in CIDR form")
        return None
    try:
        net = netaddr.IPNetwork(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        _problem(problems, key, f"'{value}' is not a valid network")
        return None
    if net.version != 4:
        _problem(problems, key, f"'{value}' is not an IPv4 network")
        return None
    if net.ip != net.network:
        _problem(problems, key, f"'{value}' has host bits set (did you mean {net.cidr}?)")
    return net.cidr


def _check_hosts(openstack, lan, problems):
    """The host map (guide: config/hosts). Returns role -> [host names]."""
    hosts = openstack.get("hosts")
    by_role = {role: [] for role in ROLES}
    if not isinstance(hosts, dict) or not hosts:
        _problem(problems, "openstack:hosts", "no hosts defined")
        return by_role
    seen_ips = {}
    names = {}
    for name, host in hosts.items():
        key = f"openstack:hosts:{name}"
        if not isinstance(host, dict):
            _problem(problems, key, "must be a mapping (ip, roles, interfaces)")
            continue
        for label in [name] + list(host.get("aliases") or []):
            if not isinstance(label, str) or not DNS_LABEL.match(label):
                _problem(problems, key, f"'{label}' is not a valid host name (DNS label)")
            elif label.lower() in names:
                _problem(
                    problems,
                    key,
                    f"name '{label}' is already used by {names[label.lower()]}",
                )
            else:
                names[label.lower()] = name
        addr = _ip(problems, f"{key}:ip", host.get("ip"))
        if addr is not None:
            if addr in seen_ips:
                _problem(
                    problems,
                    f"{key}:ip",
                    f"{addr} is also the address of {seen_ips[addr]} (duplicate IP)",
                )
            seen_ips[addr] = name
            if lan is not None:
                if addr not in lan:
                    _problem(
                        problems,
                        f"{key}:ip",
                        f"{addr} is outside the LAN {lan} (openstack:network:lan_cidr)",
                    )
                elif addr in (lan.network, lan.broadcast):
                    _problem(
                        problems,
                        f"{key}:ip",
                        f"{addr} is the network or broadcast address of {lan}",
                    )
        roles = host.get("roles")
        if not isinstance(roles, list) or not roles:
            _problem(problems, f"{key}:roles", "must be a non-empty list")
            roles = []
        for role in roles:
            if role in by_role:
                by_role[role].append(name)
            else:
                _problem(
                    problems,
                    f"{key}:roles",
                    f"unknown role '{role}' (known: {', '.join(ROLES)})",
                )
        interfaces = host.get("interfaces") or {}
        needed = ["lan"] + (["public"] if "gateway" in roles else [])
        for which in needed:
            ifname = interfaces.get(which)
            if not ifname:
                what = "the gateway needs a public interface" if which == "public" else "missing"
                _problem(problems, f"{key}:interfaces:{which}", what)
            elif not isinstance(ifname, str) or not IFNAME.match(ifname):
                _problem(
                    problems,
                    f"{key}:interfaces:{which}",
                    f"'{ifname}' is not a valid interface name",
                )
        if "gateway" in roles and "compute" not in roles:
            _problem(
                problems,
                f"{key}:roles",
                "the gateway must also be a compute host (the guide's compute1)",
            )
    if len(by_role["controller"]) != 1:
        _problem(
            problems,
            "openstack:hosts",
            f"exactly one host needs the controller role, found "
            f"{len(by_role['controller'])} ({', '.join(by_role['controller']) or 'none'})",
        )
    if not by_role["compute"]:
        _problem(problems, "openstack:hosts", "no host has the compute role")
    if len(by_role["gateway"]) != 1:
        _problem(
            problems,
            "openstack:hosts",
            f"exactly one host needs the gateway role, found "
            f"{len(by_role['gateway'])} ({', '.join(by_role['gateway']) or 'none'})",
        )
    return by_role


def _check_storage(openstack, by_role, problems):
    """The GlusterFS volume: bricks on the compute hosts (guide 03, step 9)."""
    storage = openstack.get("storage") or {}
    bricks = len(by_role["compute"])
    replica = storage.get("replica")
    if isinstance(replica, bool) or not isinstance(replica, int) or replica < 1:
        _problem(problems, "openstack:storage:replica", f"'{replica}' is not a positive integer")
    elif bricks:
        if replica > bricks:
            _problem(
                problems,
                "openstack:storage:replica",
                f"replica {replica} is larger than the {bricks} brick (compute) hosts",
            )
        elif bricks % replica:
            _problem(
                problems,
                "openstack:storage:replica",
                f"replica {replica} does not divide the {bricks} brick (compute) hosts",
            )
    for key in ("volume", "brick_path", "mountpoint"):
        if not storage.get(key):
            _problem(problems, f"openstack:storage:{key}", "missing")
    if storage.get("brick_path") and not str(storage["brick_path"]).startswith("/"):
        _problem(problems, "openstack:storage:brick_path", "must be an absolute path")


def _check_network(openstack, problems):
    """LAN and provider network (guide: nova-network's 10.0.0.0/24, step 52)."""
    network = openstack.get("network") or {}
    lan = _cidr(problems, "openstack:network:lan_cidr", network.get("lan_cidr"))
    provider = network.get("provider") or {}
    pkey = "openstack:network:provider"
    cidr = _cidr(problems, f"{pkey}:cidr", provider.get("cidr"))
    if cidr is not None and lan is not None and netaddr.IPSet([cidr]) & netaddr.IPSet([lan]):
        _problem(problems, f"{pkey}:cidr", f"{cidr} overlaps the LAN {lan}")
    gateway = _ip(problems, f"{pkey}:gateway", provider.get("gateway"))
    pool = provider.get("allocation_pool") or {}
    start = _ip(problems, f"{pkey}:allocation_pool:start", pool.get("start"))
    end = _ip(problems, f"{pkey}:allocation_pool:end", pool.get("end"))
    if cidr is not None:
        for key, addr in (
            ("gateway", gateway),
            ("allocation_pool:start", start),
            ("allocation_pool:end", end),
        ):
            if addr is not None and addr not in cidr:
                _problem(problems, f"{pkey}:{key}", f"{addr} is outside {cidr}")
    if start is not None and end is not None:
        if start > end:
            _problem(problems, f"{pkey}:allocation_pool", f"start {start} is after end {end}")
        else:
            if gateway is not None and start <= gateway <= end:
                _problem(
                    problems,
                    f"{pkey}:allocation_pool",
                    f"the pool {start}-{end} contains the gateway {gateway}",
                )
            if lan is not None and netaddr.IPSet(netaddr.IPRange(start, end)) & netaddr.IPSet(
                [lan]
            ):
                _problem(problems, f"{pkey}:allocation_pool", f"the pool overlaps the LAN {lan}")
    for key in ("physical_network", "bridge"):
        if not provider.get(key):
            _problem(problems, f"{pkey}:{key}", "missing")
    _ip(problems, "openstack:public_ip", openstack.get("public_ip"))
    _ip(problems, "openstack:metadata_host", openstack.get("metadata_host"))
    return lan


def _check_verify_and_dashboard(openstack, by_role, problems):
    """The verification's hosts (compute hosts of the map) and the
    dashboard's extra host names."""
    verify = openstack.get("verify") or {}
    computes = by_role["compute"]
    for key in ("boot_host", "migrate_to"):
        value = verify.get(key)
        if value is not None and value not in computes:
            _problem(
                problems,
                f"openstack:verify:{key}",
                f"'{value}' is not a compute host of the host map ({', '.join(computes)})",
            )
    if verify.get("boot_host") is not None and verify.get("boot_host") == verify.get("migrate_to"):
        _problem(problems, "openstack:verify:migrate_to", "is the boot host: nothing would move")
    url = verify.get("outside_url")
    if url is not None and not (isinstance(url, str) and url.startswith("http://")):
        _problem(problems, "openstack:verify:outside_url", f"'{url}' is not an http:// URL")
    timeout = verify.get("timeout", 600)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 30:
        _problem(
            problems, "openstack:verify:timeout", f"'{timeout}' is not a number of seconds >= 30"
        )
    allowed = (openstack.get("dashboard") or {}).get("allowed_hosts", [])
    if not isinstance(allowed, list) or not all(isinstance(h, str) and h for h in allowed):
        _problem(problems, "openstack:dashboard:allowed_hosts", "must be a list of host names")


def check(pillar):
    """
    Check the cloud's pillar data and return the list of problems (empty when
    the data is good). ``pillar`` is the whole pillar or its ``openstack`` key.
    Each problem names its pillar key and says what is wrong.
    """
    openstack = pillar.get("openstack", pillar) if isinstance(pillar, dict) else None
    if not isinstance(openstack, dict) or not openstack:
        return ["openstack: the pillar has no 'openstack' mapping"]
    problems = []
    lan = _check_network(openstack, problems)
    by_role = _check_hosts(openstack, lan, problems)
    _check_storage(openstack, by_role, problems)
    _check_verify_and_dashboard(openstack, by_role, problems)
    servers = (openstack.get("ntp") or {}).get("servers")
    if (
        not isinstance(servers, list)
        or not servers
        or not all(isinstance(s, str) and s for s in servers)
    ):
        _problem(problems, "openstack:ntp:servers", "must be a non-empty list of host names")
    for key in ("region", "release"):
        if not openstack.get(key):
            _problem(problems, f"openstack:{key}", "missing")
    admin = openstack.get("admin") or {}
    for key in ("username", "project"):
        if not admin.get(key):
            _problem(problems, f"openstack:admin:{key}", "missing")
    nova = openstack.get("nova") or {}
    for key in ("uid", "gid"):
        value = nova.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 999:
            _problem(
                problems,
                f"openstack:nova:{key}",
                f"'{value}' is not a system id (an integer from 100 to 999)",
            )
    virt_type = (openstack.get("compute") or {}).get("virt_type")
    if virt_type not in ("auto", "kvm", "qemu"):
        _problem(problems, "openstack:compute:virt_type", f"'{virt_type}' is not auto, kvm or qemu")
    given = openstack.get("secrets") or {}
    for name in secret_names(openstack):
        value = given.get(name)
        if not isinstance(value, str) or not value:
            _problem(
                problems,
                f"openstack:secrets:{name}",
                "missing (run `salt-run openstack.secrets` or set it in pillar/local.sls)",
            )
    return problems


def _pillar_for(minion_id):
    """Compile the pillar exactly as the master would for ``minion_id``."""
    opts = dict(__opts__)
    pillar = salt.pillar.get_pillar(
        opts, {"id": minion_id}, minion_id, saltenv="base", pillarenv="base"
    ).compile_pillar()
    errors = pillar.pop("_errors", None)
    if errors:
        raise SaltInvocationError("pillar does not render: " + "; ".join(errors))
    return pillar


def _host_pillar():
    """The pillar a host of the map sees (the controller's, or the first host's)."""
    common = _pillar_for(__opts__["id"]).get("openstack") or {}
    hosts = common.get("hosts") or {}
    ids = [n for n, h in hosts.items() if "controller" in ((h or {}).get("roles") or [])]
    ids = ids or list(hosts)
    return _pillar_for(ids[0]) if ids else {"openstack": common}


def _secrets_path():
    """pillar/secrets/generated.sls beside the pillar top file."""
    roots = __opts__["pillar_roots"]["base"]
    tree = next((r for r in roots if os.path.isfile(os.path.join(r, "top.sls"))), roots[0])
    return os.path.join(tree, SECRETS_SLS)


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


def secrets():
    """
    Generate every secret of the cloud that is not yet in
    ``pillar/secrets/generated.sls``, keep all that are. The file is created
    mode 0600 and git ignores it. A value the user sets in pillar (for example
    in ``pillar/local.sls``) wins over the generated one. Prints the names of
    new secrets, never their values.

    CLI Example:

    .. code-block:: bash

        salt-run openstack.secrets
    """
    common = _pillar_for(__opts__["id"]).get("openstack") or {}
    path = _secrets_path()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    # Several masters' workers may ask at once: one writer at a time.
    with open(path + ".lock", "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh_:
                current = (salt.utils.yaml.safe_load(fh_) or {}).get("openstack", {}).get(
                    "secrets", {}
                ) or {}
        new = [name for name in secret_names(common) if not current.get(name)]
        if new:
            for name in new:
                length = 50 if name == "horizon_secret_key" else 32
                current[name] = _random.token_urlsafe(length)[:length]
            if {"nova_migration_ssh_key", "nova_migration_ssh_pubkey"} & set(new):
                # A key pair is made, and replaced, only as a pair.
                new = sorted(set(new) | {"nova_migration_ssh_key", "nova_migration_ssh_pubkey"})
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
    return {"path": path, "generated": new, "kept": len(current) - len(new)}


def validate(pillar=None, path=None):
    """
    Check the cloud's pillar and report every problem at once.

    pillar
        Pillar data to check instead of the master's (a mapping with the
        ``openstack`` key, or its content).

    path
        A YAML file of pillar data to check instead of the master's, so an
        edit can be checked before it is deployed.

    Without arguments, checks the pillar a host of the map receives (the
    controller's), generated secrets included. Exits non-zero when there is a
    problem.

    CLI Example:

    .. code-block:: bash

        salt-run openstack.validate
        salt-run openstack.validate path=/tmp/edited.yaml
        salt-run openstack.validate pillar='{"openstack": {"hosts": {}}}'
    """
    if path is not None:
        with open(path, encoding="utf-8") as fh_:
            pillar = salt.utils.yaml.safe_load(fh_) or {}
    elif pillar is None:
        pillar = _host_pillar()
    problems = check(pillar)
    if problems:
        # salt-run exits with the returned retcode; orchestrate's salt.runner
        # reads the context's.
        __context__["retcode"] = 1
        return {
            "retcode": 1,
            "result": False,
            "comment": f"the pillar has {len(problems)} problem(s); nothing was deployed",
            "problems": problems,
        }
    hosts = (pillar.get("openstack", pillar) or {}).get("hosts") or {}
    return {"result": True, "comment": f"the pillar is valid ({len(hosts)} hosts)", "problems": []}
