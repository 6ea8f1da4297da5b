"""
The README's table "From the guide's steps to the states" says which SLS
does each step of the guide and which state IDs it has. Every SLS it names
must exist, and every state ID it names must be rendered, by the SLS it is
listed under, for the guide's pillar: on each host of the guide's map, on
Debian 12 and CentOS Stream 9 grains (some states are RedHat only), and
once more with the optional settings and hardware some states need (a brick
device, a CPU with hardware virtualisation, an outside URL to check).

How the table is read: each row's last cell is split at the commas and
semicolons outside parentheses into clauses. A clause that starts with a
backticked SLS name (``network.nat``) names an SLS; it is the SLS of the
state IDs that follow in that row. A backticked name holding a dash is a
state ID; ``<host>`` in it stands for any host of the map, ``*`` for any
text; a clause ``-tcp`` right after ``postdeploy-default-secgroup-icmp``
means ``postdeploy-default-secgroup-tcp``. Text in parentheses is a note
and is not read.

The README's Security table says what each host accepts and from whom: it
must be ``openstack:firewall:services`` as the states read it (the merged
data of each platform, ports as firewall/services.jinja resolves them for
the guide's map), row for row, so it cannot go stale. Its cells are the
data's words: a service's key in backticks (a note in parentheses after
it), its ports, proto and roles; ``bound to``, ``who may connect`` and
``listening`` in the phrases of BIND, FROM and WHEN below.
"""

import re
from dataclasses import dataclass

import pytest

from tests.support.paths import REPO, SALT
from tests.support.pillars import hosts_of
from tests.support.render import GRAINS, show_all

README = REPO / "README.md"
TABLE = "## From the guide's steps to the states"
SLS_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
STATE_ID = re.compile(r"[a-z0-9<>*.]+(-[a-z0-9<>*.]+)+")
PLACEHOLDER = re.compile(r"<[^>]*>")

# The guide's pillar plus what some states need to exist at all: a block
# device for the brick (glusterfs-brick-filesystem), a CPU with hardware
# virtualisation (kvm-module), a URL past the gateway (verify-outside).
OPTIONAL = {
    "local": {
        "openstack": {
            "storage": {"brick_device": "/dev/vdb"},
            "compute": {"virt_type": "kvm"},
            "verify": {"outside_url": "http://192.0.2.80/"},
        }
    },
    "grains": {"cpu_flags": ["vmx"]},
}


@dataclass(frozen=True)
class Claim:
    step: str  # the row's guide column and step, to find it in the README
    sls: str | None  # the SLS the README lists the state under, if any
    state_id: str  # as written, placeholders included


def table_rows():
    """(guide, step, here) of each row of the README's table."""
    text = README.read_text()
    assert TABLE in text, f"README.md has no section {TABLE!r}"
    section = text.split(TABLE, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "guide":
            continue
        assert len(cells) == 4, f"README.md table row without 4 cells: {line}"
        rows.append((cells[0], cells[1], cells[3]))
    return rows


def clauses(cell):
    """The cell's text split at ", " and "; " outside parentheses, with the
    parenthesised notes removed."""
    parts, current, depth = [], "", 0
    for index, char in enumerate(cell):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char in ",;" and cell[index + 1 : index + 2] == " ":
            parts.append(current.strip())
            current = ""
        elif depth == 0:
            current += char
    parts.append(current.strip())
    return [part for part in parts if part]


def readme_claims():
    """(the SLS names, the state-ID claims) of the README's table."""
    sls_names, claims = [], []
    for guide, step, here in table_rows():
        label = f"{guide} {step}"
        sls, previous_id = None, None
        for clause in clauses(here):
            names = re.findall(r"`([^`]+)`", clause)
            if clause.startswith("`") and SLS_NAME.fullmatch(names[0]):
                sls = names[0]
                sls_names.append(sls)
                names = names[1:]
            if clause.startswith("`-") and previous_id and len(names) == 1:
                # `postdeploy-default-secgroup-icmp`, `-tcp`
                names = [previous_id.rsplit("-", 1)[0] + names[0]]
            for name in names:
                if STATE_ID.fullmatch(name):
                    claims.append(Claim(label, sls, name))
                    previous_id = name
    return sls_names, claims


SLS_NAMES, CLAIMS = readme_claims()


def sls_file(name):
    """salt/a/b.sls or salt/a/b/init.sls for ``a.b``, or None."""
    base = SALT.joinpath(*name.split("."))
    for path in (base.with_name(base.name + ".sls"), base / "init.sls"):
        if path.is_file():
            return path
    return None


def pattern(state_id, hosts):
    """A regular expression for a state ID as the README writes it."""
    parts = []
    for index, piece in enumerate(PLACEHOLDER.split(state_id)):
        if index:
            parts.append("(" + "|".join(map(re.escape, sorted(hosts))) + ")")
        parts.append(".+".join(map(re.escape, piece.split("*"))))
    return re.compile("".join(parts))


@pytest.fixture(scope="module")
def rendered(minion):
    """{state id: the SLS files that render it} over every host of the
    guide's map, both families, and the guide's pillar with OPTIONAL."""
    cases = [(family, {}) for family in GRAINS] + [("debian12", OPTIONAL)]
    found = {}
    for family, extra in cases:
        for host in hosts_of("guide"):
            for state_id, body in show_all(minion("guide", family, host, **extra)).items():
                found.setdefault(state_id, set()).add(body["__sls__"])
    return found


def test_the_table_is_read():
    """The parser finds the table's SLS and state IDs (not an empty list that
    would make the tests below pass on nothing)."""
    assert len(SLS_NAMES) >= 30
    assert len(CLAIMS) >= 40
    assert (
        Claim("01-network-gateway 2 (02-ip-forward)", "network.nat", "network-nat-ip-forward")
        in CLAIMS
    )
    assert any(claim.state_id == "postdeploy-default-secgroup-tcp" for claim in CLAIMS)
    assert "gluster.peered" not in SLS_NAMES  # a state function, in a note
    assert all(claim.state_id != "-x" for claim in CLAIMS)


@pytest.mark.parametrize("name", sorted(set(SLS_NAMES)))
def test_readme_sls_exists(name):
    assert sls_file(name), (
        f"README.md names SLS {name!r}: neither salt/{name.replace('.', '/')}.sls nor .../init.sls"
    )


@pytest.mark.parametrize("claim", CLAIMS, ids=[claim.state_id for claim in CLAIMS])
def test_readme_state_id_is_rendered(rendered, claim):
    hosts = hosts_of("guide")
    unknown = [p for p in PLACEHOLDER.findall(claim.state_id) if p != "<host>"]
    assert not unknown, f"README.md ({claim.step}): {claim.state_id}: unknown placeholder {unknown}"
    regex = pattern(claim.state_id, hosts)
    matches = {state_id: files for state_id, files in rendered.items() if regex.fullmatch(state_id)}
    where = f"README.md ({claim.step}) names state {claim.state_id!r}"
    assert matches, f"{where}: no SLS renders it"
    if claim.sls:
        owned = [
            state_id
            for state_id, files in matches.items()
            if any(f == claim.sls or f.startswith(claim.sls + ".") for f in files)
        ]
        assert owned, (
            f"{where} under {claim.sls}: rendered by {sorted(set().union(*matches.values()))}"
        )


# --- The Security table: openstack:firewall:services ---------------------------

SECURITY = "## Security"
SECURITY_HEADER = (
    "| service | ports | proto | on (roles) | bound to | who may connect | listening |"
)
BIND = {
    "its LAN address": "lan",
    "loopback": "loopback",
    "every address": "any",
    "its public and LAN addresses": "public",
}
FROM = {
    "every host": "hosts",
    "the LAN and admin_sources": "admin",
    "anyone on the public NIC": "public",
}
NOBODY = "nobody (loopback only)"
WHEN = {
    "always": None,
    "during a live migration": "migrating",
    "while instances run": "instances",
    "with LVM volumes": "volumes",
}
FIREWALL_DATA = (
    '{%- from "map.jinja" import openstack with context %}'
    '{%- from "firewall/services.jinja" import served_by with context %}'
    '{{ {"services": openstack.firewall.services, "served_by": served_by} | json }}'
)


def security_rows():
    """{service: (ports, proto, roles, bound to, who, listening)} of the
    README's Security table, as written."""
    text = README.read_text()
    assert SECURITY in text, f"README.md has no section {SECURITY!r}"
    section = text.split(SECURITY, 1)[1].split("\n## ", 1)[0]
    assert SECURITY_HEADER in section, f"README.md {SECURITY}: no table {SECURITY_HEADER!r}"
    table = section.split(SECURITY_HEADER, 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.strip().splitlines()[1:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 7, f"README.md Security table row without 7 cells: {line}"
        name = re.fullmatch(r"`([^`]+)`( \(.*\))?", cells[0])
        assert name, f"README.md Security table: {cells[0]!r} is not a `service` (note)"
        assert name.group(1) not in rows, f"README.md Security table: {name.group(1)} twice"
        rows[name.group(1)] = tuple(cells[1:])
    return rows


def as_written(service, ports):
    """A service's data in the table's words: ``ports`` as served_by
    resolved them ([[first, last], ...])."""
    words = {value: phrase for phrase, value in FROM.items()}
    who = [words.get(source, source) for source in service.get("from", [])]
    return (
        ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in ports),
        service.get("proto", "tcp"),
        ", ".join(service["roles"])
        + (f" ({service['driver']} only)" if service.get("driver") else ""),
        {value: phrase for phrase, value in BIND.items()}[service.get("bind", "lan")],
        ", ".join(who) or NOBODY,
        {value: phrase for phrase, value in WHEN.items()}[service.get("when")],
    )


def test_the_security_table_is_read():
    rows = security_rows()
    assert len(rows) >= 20
    assert rows["ssh"] == (
        "22",
        "tcp",
        "controller, compute, gateway",
        "every address",
        "the LAN and admin_sources",
        "always",
    )


@pytest.mark.parametrize("family", sorted(GRAINS))
def test_the_security_table_is_the_firewall_data(minion, family):
    data = minion("guide", family, "controller").cmd(
        "slsutil.renderer", string=FIREWALL_DATA, default_renderer="jinja|json"
    )
    services, served_by = data["services"], data["served_by"]
    ports = {}
    for entries in served_by.values():
        for entry in entries:
            assert ports.setdefault(entry["name"], entry["ports"]) == entry["ports"]
    rows = security_rows()
    missing, extra = sorted(set(services) - set(rows)), sorted(set(rows) - set(services))
    assert not missing and not extra, (
        "README.md Security table: the rows are not openstack:firewall:services' entries: "
        f"missing {missing}, not in the data {extra}"
    )
    for name, service in services.items():
        if name not in ports:
            # a service of the other network driver (OVN's, under Zed)
            assert service.get("driver"), f"{name}: no host of the guide's map serves it"
            continue
        assert rows[name] == as_written(service, ports[name]), (
            f"README.md Security table, row {name}: says {rows[name]}, "
            f"the data {as_written(service, ports[name])}"
        )
