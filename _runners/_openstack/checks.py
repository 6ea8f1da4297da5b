"""
The checks of ``openstack.validate``: ``check(pillar, tree)`` takes the
pillar (or its ``openstack`` mapping), merges the tree's data under it as
map.jinja does (``data.effective``) and returns every problem, each as
``<pillar key>: <what is wrong>``. Pure: no master, no file but the tree's.
"""

import difflib
import re

from . import data as _data
from . import tls as _tls

try:
    import netaddr

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - netaddr is in requirements.txt
    HAS_NETADDR = False

# The roles of the guide: the controller runs the control plane, compute hosts
# run instances and hold the GlusterFS bricks, the gateway (a compute host with
# a second, public interface) does NAT, DHCP, the VNC proxy and the dashboard.
ROLES = ("controller", "compute", "gateway")
NETWORK_DRIVERS = ("ovn", "linuxbridge")

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
# A key pair is made, and replaced, only as a pair.
KEY_PAIR = ("nova_migration_ssh_key", "nova_migration_ssh_pubkey")

# Options of config_overrides whose value is never shown.
SECRET_OPTION = re.compile(r"password|secret|key|token|transport_url|connection", re.IGNORECASE)
MASK = "***"
# An INI option name (what openstack_config accepts).
OPTION_NAME = re.compile(r"^[^\s\[#;:=][^:=\n]*$")

# RFC 1123 host name label: letters, digits and hyphens, 1 to 63 characters,
# neither starting nor ending with a hyphen.
DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
# Linux interface names: at most 15 characters, no slash, colon or blank.
IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


def secret_names(data):
    """The names of every secret the cloud needs, from the effective data the
    states read: one database password per service with databases
    (``databases``), one password per service with a service user
    (``services:<name>:user``), plus the cloud-wide ones."""
    names = list(COMMON_SECRETS)
    names += [f"{service}_db_password" for service in sorted(data.get("databases") or {})]
    for service, spec in sorted((data.get("services") or {}).items()):
        if isinstance(spec, dict) and spec.get("user"):
            names.append(f"{service}_password")
    return names


def to_generate(names, current):
    """The names of ``names`` that ``current`` (name -> value) lacks, the SSH
    key pair completed."""
    new = [name for name in names if not current.get(name)]
    if set(KEY_PAIR) & set(new):
        new = sorted(set(new) | set(KEY_PAIR))
    return new


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


def _check_provider_nic(openstack, key, interfaces, problems):
    """A compute host's wire for the instances: its own NIC (never the
    public one), else a VLAN of its LAN NIC (network:provider:vlan)."""
    nic = interfaces.get("provider")
    vlan = ((openstack.get("network") or {}).get("provider") or {}).get("vlan")
    if nic and (not isinstance(nic, str) or not IFNAME.match(nic)):
        _problem(problems, f"{key}:interfaces:provider", f"'{nic}' is not a valid interface name")
        return
    if nic and nic == interfaces.get("public"):
        _problem(
            problems,
            f"{key}:interfaces:provider",
            f"'{nic}' is the public interface: the instances' network needs a NIC of its own",
        )
        return
    if nic and nic != interfaces.get("lan"):
        return
    if vlan is None:
        _problem(
            problems,
            f"{key}:interfaces:provider",
            "missing (or the LAN NIC): name the NIC of the instances' network, or set "
            "openstack:network:provider:vlan to carry it on a VLAN of the LAN NIC",
        )


def _check_provider_vlan(openstack, problems):
    """openstack:network:provider:vlan: null or a VLAN id."""
    vlan = ((openstack.get("network") or {}).get("provider") or {}).get("vlan")
    if vlan is None:
        return
    if isinstance(vlan, bool) or not isinstance(vlan, int) or not 1 <= vlan <= 4094:
        _problem(problems, "openstack:network:provider:vlan", f"'{vlan}' is not a VLAN id (1-4094)")


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
        if "compute" in roles:
            _check_provider_nic(openstack, key, interfaces, problems)
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
    for key in ("name", "physical_network"):
        if not provider.get(key):
            _problem(problems, f"{pkey}:{key}", "missing")
    _ip(problems, "openstack:public_ip", openstack.get("public_ip"))
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


# The host firewall (issue 13, salt/firewall): openstack:firewall:services
# entries (salt/defaults.yaml describes each key) and who may connect.
FIREWALL_BINDS = ("lan", "loopback", "any", "public")
FIREWALL_PROTOS = ("tcp", "udp")
# `from` names besides the roles: every host of the map, the LAN and
# firewall:admin_sources, anyone through the gateway's public interface.
FIREWALL_SOURCES = ("hosts", "admin", "public")
# A service's name names its nftables sets: a letter, then letters, digits,
# '-' or '_'.
FIREWALL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")
PORT_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def _port_range(value):
    """(first, last) of a port (a number, "n" or "first-last"), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value, value
    match = PORT_RANGE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    first = int(match.group(1))
    return first, int(match.group(2) or first)


def _check_firewall_ports(service, key, spec, catalog, problems):
    """A service's ports: numbers or "first-last", 1-65535; none given: its
    openstack:catalog entry's port; ``catalog``: every API's port of the
    catalog (each checked with the catalog)."""
    ports = spec.get("ports")
    if ports == "catalog":
        if not isinstance(catalog, dict) or not catalog:
            _problem(problems, f"{key}:ports", "catalog: openstack:catalog has no API")
        return
    if ports is None:
        port = (catalog.get(service) or {}).get("port") if isinstance(catalog, dict) else None
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            _problem(
                problems,
                f"{key}:ports",
                f"missing, and openstack:catalog:{service} has no port to take "
                "(give ports, or name an API of the catalog)",
            )
        return
    if not isinstance(ports, list) or not ports:
        _problem(
            problems,
            f"{key}:ports",
            "must be a non-empty list of ports or 'first-last' ranges, or catalog",
        )
        return
    for value in ports:
        bounds = _port_range(value)
        if bounds is None:
            _problem(problems, f"{key}:ports", f"'{value}' is not a port or a 'first-last' range")
        elif not (1 <= bounds[0] <= 65535 and 1 <= bounds[1] <= 65535):
            _problem(problems, f"{key}:ports", f"'{value}' is outside 1-65535")
        elif bounds[0] > bounds[1]:
            _problem(problems, f"{key}:ports", f"'{value}': the first port is after the last")


def _check_firewall_plain(key, spec, sources, problems):
    """``plain``: ports of a public service's own that only redirect to
    HTTPS."""
    plain = spec.get("plain")
    if plain is None:
        return
    if not isinstance(plain, list) or "public" not in sources:
        _problem(problems, f"{key}:plain", "must be a list of ports of a service from public")
        return
    ports = spec.get("ports")
    ranges = [_port_range(value) for value in ports] if isinstance(ports, list) else []
    for port in plain:
        if isinstance(port, bool) or not isinstance(port, int):
            _problem(problems, f"{key}:plain", f"'{port}' is not a port")
        elif not any(r and r[0] <= port <= r[1] for r in ranges):
            _problem(problems, f"{key}:plain", f"{port} is not one of the service's ports")


def _check_firewall_service(service, spec, catalog, problems):
    """One entry of openstack:firewall:services."""
    key = f"openstack:firewall:services:{service}"
    if not isinstance(service, str) or not FIREWALL_NAME.match(service):
        _problem(
            problems,
            key,
            "is not a valid service name (a letter, then letters, digits, '-' or '_': "
            "it names the firewall's sets)",
        )
        return
    if not isinstance(spec, dict):
        _problem(
            problems,
            key,
            "must be a mapping (roles, ports, proto, bind, from, when, driver, plain)",
        )
        return
    roles = spec.get("roles")
    if not isinstance(roles, list) or not roles:
        _problem(problems, f"{key}:roles", "must be a non-empty list of roles")
        roles = []
    for role in roles:
        if role not in ROLES:
            _problem(problems, f"{key}:roles", f"unknown role '{role}' (known: {', '.join(ROLES)})")
    _check_firewall_ports(service, key, spec, catalog, problems)
    proto = spec.get("proto", "tcp")
    if proto not in FIREWALL_PROTOS:
        _problem(problems, f"{key}:proto", f"'{proto}' is not {' or '.join(FIREWALL_PROTOS)}")
    bind = spec.get("bind", "lan")
    if bind not in FIREWALL_BINDS:
        _problem(problems, f"{key}:bind", f"'{bind}' is not one of {', '.join(FIREWALL_BINDS)}")
    sources = spec.get("from", [])
    if not isinstance(sources, list):
        _problem(problems, f"{key}:from", "must be a list (roles, hosts, admin, public)")
        sources = []
    known = ROLES + FIREWALL_SOURCES
    for source in sources:
        if source not in known:
            close = difflib.get_close_matches(str(source), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            _problem(
                problems,
                f"{key}:from",
                f"unknown source '{source}'{hint} (known: {', '.join(known)})",
            )
    if bind == "loopback" and sources:
        _problem(
            problems,
            f"{key}:from",
            "bind loopback: only the host itself can connect, so from must be empty",
        )
    if (bind == "public" or "public" in sources) and roles and "gateway" not in roles:
        _problem(
            problems,
            key,
            "public (bind or from) needs the gateway role: only the gateway has a public interface",
        )
    _check_firewall_plain(key, spec, sources, problems)
    when = spec.get("when")
    if when is not None and (not isinstance(when, str) or not when):
        _problem(problems, f"{key}:when", f"'{when}' is not null or a word")
    driver = spec.get("driver")
    if driver is not None and driver not in NETWORK_DRIVERS:
        _problem(
            problems,
            f"{key}:driver",
            f"'{driver}' is not a network driver (one of: {', '.join(NETWORK_DRIVERS)})",
        )


def _check_firewall(openstack, by_role, problems):
    """openstack:firewall (issue 13): the administrators' networks and the
    services the host firewall opens, checked before any host is touched."""
    key = "openstack:firewall"
    firewall = openstack.get("firewall")
    if not isinstance(firewall, dict):
        _problem(problems, key, "must be a mapping (admin_sources, services)")
        return
    provider = ((openstack.get("network") or {}).get("provider") or {}).get("cidr")
    try:
        provider = netaddr.IPNetwork(provider) if isinstance(provider, str) else None
    except (netaddr.AddrFormatError, ValueError, TypeError):
        provider = None  # _check_network names it
    sources = firewall.get("admin_sources")
    if sources is None:
        sources = []
    if not isinstance(sources, list):
        _problem(problems, f"{key}:admin_sources", "must be a list of addresses or networks")
        sources = []
    for value in sources:
        skey = f"{key}:admin_sources"
        try:
            net = netaddr.IPNetwork(value) if isinstance(value, str) else None
        except (netaddr.AddrFormatError, ValueError, TypeError):
            net = None
        if net is None:
            _problem(problems, skey, f"'{value}' is not an IP address or a network in CIDR form")
            continue
        if net.ip != net.network:
            _problem(problems, skey, f"'{value}' has host bits set (did you mean {net.cidr}?)")
        elif (
            provider is not None
            and net.version == 4
            and netaddr.IPSet([net]) & netaddr.IPSet([provider])
        ):
            _problem(
                problems,
                skey,
                f"'{value}' overlaps the provider network {provider.cidr}: instances "
                "would reach the hosts' SSH",
            )
    services = firewall.get("services")
    if not isinstance(services, dict):
        _problem(problems, f"{key}:services", "must be a mapping of service names")
        services = {}
    catalog = openstack.get("catalog") or {}
    for service, spec in services.items():
        _check_firewall_service(service, spec, catalog, problems)
    hosts = openstack.get("hosts") if isinstance(openstack.get("hosts"), dict) else {}
    for name in by_role["gateway"]:
        interfaces = (hosts.get(name) or {}).get("interfaces") or {}
        public = interfaces.get("public")
        if public and public == interfaces.get("lan"):
            _problem(
                problems,
                f"openstack:hosts:{name}:interfaces:public",
                f"'{public}' is also the LAN interface: the firewall tells the gateway's "
                "public side by its own interface",
            )


def _check_release(openstack, platforms, tree, problems):
    """openstack:release: a release this tree knows, offered by every host's
    platform (salt/releases.yaml)."""
    key = "openstack:release"
    release = openstack.get("release")
    versions = tree["releases"].get("versions") or {}
    if release and (not isinstance(release, str) or release not in versions):
        names = {str(number): name for name, number in versions.items()}
        if str(release) in names:
            hint = f"; did you mean '{names[str(release)]}' ({release})?"
        else:
            close = difflib.get_close_matches(str(release), list(versions), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
        _problem(
            problems,
            key,
            f"'{release}' is not an OpenStack release this tree knows{hint} "
            f"(salt/releases.yaml: {', '.join(versions)})",
        )
        return
    groups = {}
    for host, known in sorted(platforms.items()):
        grains = known or _data.ASSUMED_PLATFORM
        platform = (
            str(grains.get("os_family")),
            _data.major(grains),
            _data.label(grains),
            known is None,
        )
        groups.setdefault(platform, []).append(host)
    table = tree["releases"].get("platforms") or {}
    unsupported = False
    for (family, major, label, assumed), hosts in sorted(groups.items()):
        shown = f"{label} (assumed: the master has no grains of it)" if assumed else label
        if family not in tree["osfamilymap"]:
            unsupported = True
            for host in hosts:
                _problem(
                    problems,
                    f"openstack:hosts:{host}",
                    f"its OS, {shown}, is of the family {family}, which this tree does not "
                    f"support (salt/osfamilymap.yaml: {', '.join(tree['osfamilymap'])})",
                )
            continue
        offered = _data.offered(tree, {"os_family": family, "osmajorrelease": major})
        if offered is None:
            unsupported = True
            majors = ", ".join(str(major) for major in table.get(family) or {})
            for host in hosts:
                _problem(
                    problems,
                    f"openstack:hosts:{host}",
                    f"its OS, {shown}, is not a platform this tree supports "
                    f"(salt/releases.yaml: {family} {majors or 'none'})",
                )
            continue
        if release and release not in offered:
            offers = ", ".join(f"{name} ({versions.get(name, '?')})" for name in offered)
            _problem(
                problems,
                key,
                f"'{release}' is not offered on {shown}, the OS of {', '.join(hosts)}; "
                f"it offers: {offers or 'nothing'}",
            )
    if not release and not unsupported:
        # every platform is supported, yet none gave a release
        _problem(problems, key, "missing")


def _shown(option, value):
    """An override's value fit to show: masked when the option is a secret."""
    if isinstance(option, str) and SECRET_OPTION.search(option):
        return MASK
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _value_problem(value):
    """Why an override value cannot be written to an INI file, or None."""
    for item in value if isinstance(value, list) else [value]:
        if item is None or isinstance(item, (bool, int, float)):
            continue
        if not isinstance(item, str):
            return "is not a string, number, boolean or a list of them"
        if "\n" in item:
            return "is a multi-line value: give a multi-valued option as a list"
    return None


def _check_overrides(openstack, platforms, tree, problems):
    """openstack:config_overrides:<service>:<file>:<section>:<option>: only
    files a state manages (the ini_files table) on every host's OS family."""
    key = "openstack:config_overrides"
    overrides = openstack.get("config_overrides")
    if overrides is None:
        return
    if not isinstance(overrides, dict):
        _problem(problems, key, "must be a mapping <service>:<file>:<section>:<option>: value")
        return
    hosts_of = {}
    grains_of = {}
    for host, known in sorted(platforms.items()):
        grains = known or _data.ASSUMED_PLATFORM
        hosts_of.setdefault(grains.get("os_family"), []).append(host)
        grains_of.setdefault(grains.get("os_family"), grains)
    families = [family for family in sorted(hosts_of) if family in tree["osfamilymap"]]
    families = families or [_data.ASSUMED_PLATFORM["os_family"]]
    # the files of the family and of the release (the network driver's)
    release = {"release": openstack.get("release")}
    managed = {
        family: _data.effective(tree, release, grains_of.get(family, _data.ASSUMED_PLATFORM)).get(
            "ini_files"
        )
        or {}
        for family in families
    }
    services = sorted({service for files in managed.values() for service in files})
    for service, files in overrides.items():
        skey = f"{key}:{service}"
        if service not in services:
            close = difflib.get_close_matches(str(service), services, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            _problem(
                problems,
                skey,
                f"no state manages a file of '{service}'{hint} "
                f"(the services with INI files: {', '.join(services)})",
            )
            continue
        names = sorted({name for files_ in managed.values() for name in files_.get(service, {})})
        if not isinstance(files, dict):
            _problem(problems, skey, f"must be a mapping of file names ({', '.join(names)})")
            continue
        for name, sections in files.items():
            fkey = f"{skey}:{name}"
            where = [family for family in families if name in managed[family].get(service, {})]
            if not where:
                close = difflib.get_close_matches(str(name), names, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                _problem(
                    problems,
                    fkey,
                    f"no state manages {name}{hint} (the files of {service}: {', '.join(names)})",
                )
                continue
            for family in families:
                if family not in where and family in hosts_of:
                    _problem(
                        problems,
                        fkey,
                        f"no state manages {name} on {family} hosts "
                        f"({', '.join(hosts_of[family])})",
                    )
            if not isinstance(sections, dict):
                _problem(problems, fkey, "must be a mapping of sections")
                continue
            for section, options in sections.items():
                sec_key = f"{fkey}:{section}"
                if not isinstance(section, str) or not section or set(section) & set("]\n"):
                    _problem(problems, sec_key, "is not an INI section name")
                    continue
                if not isinstance(options, dict):
                    _problem(problems, sec_key, "must be a mapping of options")
                    continue
                for option, value in options.items():
                    okey = f"{sec_key}:{option}"
                    if not isinstance(option, str) or not OPTION_NAME.match(option):
                        _problem(problems, okey, "is not an INI option name")
                        continue
                    why = _value_problem(value)
                    if why:
                        _problem(problems, okey, f"{_shown(option, value)} {why}")


def _near_openstack(key):
    return bool(difflib.get_close_matches(str(key), ["openstack"], cutoff=0.8))


def _split(pillar):
    """(the pillar's top-level keys, its ``openstack`` mapping) of what
    check() was given: a whole pillar or its ``openstack`` mapping."""
    if not isinstance(pillar, dict):
        return {}, pillar
    if "openstack" in pillar or any(_near_openstack(key) for key in pillar):
        return pillar, pillar.get("openstack")
    return {}, pillar


def check(pillar, tree, platforms=None, pending=()):
    """
    The problems of ``pillar`` (the whole pillar, whose top-level keys are
    checked for a misspelt ``openstack``, or its ``openstack`` mapping) with
    the tree's data (``data.tree``) merged under it; ``platforms``: host ->
    its grains, or None (taken for Debian 13); ``pending``: names of missing
    secrets that will be generated. See ``openstack.check``.
    """
    top, openstack = _split(pillar)
    problems = []
    for key in top:
        if key != "openstack" and _near_openstack(key):
            _problem(problems, key, "unknown top-level key; did you mean 'openstack'?")
    if not isinstance(openstack, dict) or not openstack:
        return [*problems, "openstack: the pillar has no 'openstack' mapping"]
    hosts = openstack.get("hosts") if isinstance(openstack.get("hosts"), dict) else {}
    platforms = {host: (platforms or {}).get(host) for host in hosts}
    controllers = [
        h for h, v in sorted(hosts.items()) if "controller" in ((v or {}).get("roles") or [])
    ]
    reference = platforms.get(controllers[0]) if controllers else None
    data = _data.effective(tree, openstack, reference)
    _data.check_keys(data, _data.schema(tree), "openstack", problems)
    lan = _check_network(data, problems)
    by_role = _check_hosts(data, lan, problems)
    _check_provider_vlan(data, problems)
    _check_storage(data, by_role, problems)
    _check_verify_and_dashboard(data, by_role, problems)
    _check_firewall(data, by_role, problems)
    _tls.check(data, problems)
    servers = (data.get("ntp") or {}).get("servers")
    if (
        not isinstance(servers, list)
        or not servers
        or not all(isinstance(s, str) and s for s in servers)
    ):
        _problem(problems, "openstack:ntp:servers", "must be a non-empty list of host names")
    if not data.get("region"):
        _problem(problems, "openstack:region", "missing")
    admin = data.get("admin") or {}
    for key in ("username", "project"):
        if not admin.get(key):
            _problem(problems, f"openstack:admin:{key}", "missing")
    nova = data.get("nova") or {}
    for key in ("uid", "gid"):
        value = nova.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 999:
            _problem(
                problems,
                f"openstack:nova:{key}",
                f"'{value}' is not a system id (an integer from 100 to 999)",
            )
    virt_type = (data.get("compute") or {}).get("virt_type")
    if virt_type not in ("auto", "kvm", "qemu"):
        _problem(problems, "openstack:compute:virt_type", f"'{virt_type}' is not auto, kvm or qemu")
    _check_release(data, platforms, tree, problems)
    _check_overrides(data, platforms, tree, problems)
    given = data.get("secrets") if isinstance(data.get("secrets"), dict) else {}
    for name in secret_names(data):
        value = given.get(name)
        if (not isinstance(value, str) or not value) and name not in pending:
            _problem(
                problems,
                f"openstack:secrets:{name}",
                "missing (run `salt-run openstack.secrets` or set it in pillar/local.sls)",
            )
    return problems
