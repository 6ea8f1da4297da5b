"""
Render tests: every SLS of the state tree renders (`state.show_sls`) for
Debian 12 and CentOS Stream 9 grains, with the guide's pillar, a three-host
pillar and a twelve-compute pillar; and what rendered is what the pillar and
the OS family say (host entries, package, service and file names).

Each case is a masterless minion (tests/support/render.py); the ``minion``
fixture is tests/render/conftest.py's.
"""

import pytest

from tests.support.paths import SALT
from tests.support.pillars import hosts_of, openstack_of
from tests.support.render import GRAINS, PILLARS, all_sls, show, show_top, state_args


@pytest.mark.parametrize("family", GRAINS)
@pytest.mark.parametrize("pillar", PILLARS)
def test_every_sls_renders(minion, pillar, family):
    caller = minion(pillar, family, "controller")
    for sls in all_sls():
        show(caller, sls)


@pytest.mark.parametrize("family", GRAINS)
@pytest.mark.parametrize("pillar", PILLARS)
def test_hosts_file_entries(minion, pillar, family):
    """Guide step 3: every host of the map, with its aliases, in /etc/hosts."""
    result = show(minion(pillar, family, "controller"), "common.hosts")
    hosts = hosts_of(pillar)
    entries = {sid: state_args(result, sid) for sid in result if sid.startswith("common-hosts-")}
    assert len(entries) == len(hosts) + 1
    for name, host in hosts.items():
        function, args = entries[f"common-hosts-{name}"]
        assert function == "host.only"
        assert args["name"] == host["ip"]
        assert args["hostnames"] == [name] + host.get("aliases", [])
    function, args = entries["common-hosts-no-loopback-name"]
    assert (function, args["name"], args["ip"]) == ("host.absent", "controller", "127.0.1.1")


EXPECTED_TIME = {
    "debian13": ("chrony", "/etc/chrony/chrony.conf", "/etc/default/chrony", "DAEMON_OPTS"),
    "debian12": ("chrony", "/etc/chrony/chrony.conf", "/etc/default/chrony", "DAEMON_OPTS"),
    "centos9": ("chronyd", "/etc/chrony.conf", "/etc/sysconfig/chronyd", "OPTIONS"),
}


@pytest.mark.parametrize("container", [False, True], ids=["host", "container"])
@pytest.mark.parametrize("family", GRAINS)
def test_time_sync(minion, family, container):
    """Guide steps 17-19: chrony with the pillar's servers; in a container it
    never sets the clock (-x, no makestep)."""
    result = show(minion("guide", family, "controller", container), "common.time")
    service, config, options_file, options_var = EXPECTED_TIME[family]
    assert state_args(result, "common-time-package") == ("pkg.installed", {"name": "chrony"})
    function, args = state_args(result, "common-time-service")
    assert (function, args["name"]) == ("service.running", service)
    function, args = state_args(result, "common-time-config")
    assert (function, args["name"]) == ("file.managed", config)
    assert args["context"]["servers"] == openstack_of("guide")["ntp"]["servers"]
    assert args["context"]["in_container"] is container
    rendered = minion("guide", family, "controller", container).cmd(
        "file.apply_template_on_contents",
        (SALT / "common" / "files" / "chrony.conf.jinja").read_text(),
        template="jinja",
        context=args["context"],
        defaults={},
        saltenv="base",
    )
    for server in ("0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org"):
        assert f"\nserver {server} iburst\n" in rendered
    assert ("\nmakestep 1 3\n" in rendered) is not container
    assert ("\nrtcsync\n" in rendered) is not container
    function, args = state_args(result, "common-time-options")
    assert args["name"] == options_file
    assert f'{options_var}="' in args["contents"]
    assert ("-x" in args["contents"]) is container


def test_repositories_redhat(minion):
    """Guide step 16: RDO, the Storage SIG's GlusterFS and EPEL on CentOS
    Stream 9, CRB enabled."""
    result = show(minion("guide", "centos9", "controller"), "common.repos")
    function, args = state_args(result, "common-repos-release-packages")
    assert function == "pkg.installed"
    # the platform's own release (the first releases.yaml lists): 2025.1
    assert args["pkgs"] == [
        "centos-release-openstack-epoxy",
        "centos-release-gluster10",
        "epel-release",
    ]
    function, args = state_args(result, "common-repos-enable-crb")
    assert (function, args["name"]) == ("cmd.run", "dnf config-manager --set-enabled crb")


def test_repositories_debian_adds_none(minion):
    """Debian 12 has OpenStack Zed in its own archive."""
    assert show(minion("guide", "debian12", "controller"), "common.repos") == {}


@pytest.mark.parametrize(
    "family,container,expected",
    [
        ("centos9", False, ("selinux.mode", "permissive")),
        ("centos9", True, ("test.nop", None)),
        ("debian12", False, None),
    ],
)
def test_selinux(minion, family, container, expected):
    """Guide step 5: SELinux permissive on RedHat hosts only; never from a
    container, whose SELinux is the machine's."""
    result = show(minion("guide", family, "controller", container), "common.selinux")
    if expected is None:
        assert result == {}
        return
    (state_id,) = result
    function, args = state_args(result, state_id)
    assert function == expected[0]
    if expected[1]:
        assert args["name"] == expected[1]


@pytest.mark.parametrize("family", GRAINS)
@pytest.mark.parametrize("pillar", PILLARS)
def test_top_maps_roles_to_states(minion, pillar, family):
    """Highstate: each host gets the SLS of its roles in the host map."""
    for name, host in hosts_of(pillar).items():
        if name not in ("controller", "compute1", "compute2"):
            continue
        top = show_top(minion(pillar, family, name))
        assert sorted(top["base"]) == sorted(host["roles"]), (name, top)


def test_package_names_differ_per_family(minion):
    """map.jinja: the OS family's names win over the defaults."""
    seen = {}
    for family in GRAINS:
        caller = minion("guide", family, "controller")
        seen[family] = caller.cmd(
            "slsutil.renderer",
            string='{%- from "map.jinja" import openstack with context %}'
            "{{ openstack.pkgs | json }}",
            default_renderer="jinja|json",
        )
    assert "glusterfs-client" in seen["debian12"]["glusterfs"]
    assert "glusterfs-fuse" in seen["centos9"]["glusterfs"]
    assert seen["debian12"]["keystone"][0] == "keystone"
    assert seen["centos9"]["keystone"][0] == "openstack-keystone"
    assert seen["debian12"]["nova_controller"] == ["nova-api", "nova-conductor", "nova-scheduler"]
    assert seen["centos9"]["nova_controller"] == [
        "openstack-nova-api",
        "openstack-nova-conductor",
        "openstack-nova-scheduler",
    ]


def test_unsupported_family_is_refused(minion):
    result = minion("guide", "solaris", "controller").cmd("state.show_sls", "common.hosts")
    assert isinstance(result, list)
    assert "unsupported OS family 'Solaris'" in "".join(result)


@pytest.mark.parametrize("family", GRAINS)
def test_dashboard_settings_are_private_and_complete(minion, family):
    """Guide 55: the dashboard's own settings file holds the SECRET_KEY, so it
    is 0640 for the web server's group and never shown in a diff; Debian's
    package is preseeded for its HTTPS site, RDO's is not."""
    result = show(minion("guide", family, "compute1"), "horizon")
    function, args = state_args(result, "horizon-settings")
    group = {"debian13": "www-data", "debian12": "www-data", "centos9": "apache"}[family]
    assert function == "file.managed"
    assert (args["mode"], args["user"], args["group"]) == ("0640", "root", group)
    assert args["show_changes"] is False
    context = args["context"]
    assert context["controller"] == "controller"
    assert context["keystone_url"] == "https://controller:5000/v3"
    assert context["memcached"] == "controller:11211"
    assert sorted(context["allowed_hosts"]) == ["128.250.26.161", "192.168.0.1", "compute1"]
    debian = family.startswith("debian")
    assert context["secure_cookies"] is debian
    assert ("horizon-preseed" in result) is debian


def test_verify_boots_on_compute2_and_migrates_to_every_other_host(minion):
    """The guide's four compute hosts: boot on the second, then move it to
    each other compute host in turn (each one a first migration there),
    checked from the gateway, the one host on the instances' wire."""
    boot = show(minion("guide", "debian13", "controller"), "verify.boot")
    assert state_args(boot, "verify-boot")[1]["host"] == "compute2"
    guest = show(minion("guide", "debian13", "compute1"), "verify.guest")
    targets = [
        state_args(guest, f"verify-live-migration-{host}")[1]["target"]
        for host in ("compute3", "compute4", "compute1")
    ]
    assert targets == ["compute3", "compute4", "compute1"]


@pytest.mark.parametrize("family", GRAINS)
def test_uwsgi_apis_close_each_connection(minion, family):
    """Debian runs keystone and nova-api under uWSGI, which closes each
    connection after its answer without saying so; "Connection: close" is
    added (lab-found: a DELETE's 204 left the client a dead connection).
    RDO's APIs do not run under uWSGI: nothing to add."""
    caller = minion("guide", family, "controller")
    for sls, state_ids, service, files in (
        ("keystone.server", ["keystone-uwsgi"], "keystone-service", ["keystone-uwsgi.ini"]),
        (
            "nova.controller",
            ["nova-controller-uwsgi-1", "nova-controller-uwsgi-2"],
            "nova-controller-services",
            ["nova-api-uwsgi.ini", "nova-api-metadata-uwsgi.ini"],
        ),
    ):
        result = show(caller, sls)
        if family == "centos9":
            assert not [sid for sid in result if "-uwsgi" in sid], sls
            continue
        names = []
        for state_id in state_ids:
            function, args = state_args(result, state_id)
            assert function == "openstack_config.present"
            assert args["sections"] == {"uwsgi": {"add-header": "Connection: close"}}
            assert args["watch_in"] == [{"service": service}]
            names.append(args["name"].rsplit("/", 1)[1])
        assert names == files


def test_compute_activates_a_migrated_port_once_on_zed(minion):
    """Lab-found on Zed: libvirt's lifecycle events made nova-compute activate
    a migrated port twice and neutron failed the second; they are off there,
    QEMU announces the guest after a move, and os-vif wires the provider NIC
    into the target's bridge before it (the linuxbridge agent wires it only
    once the port is active there, after the move). On 2025.1 (OVN) QEMU
    announces the guest after the move too."""
    result = show(minion("guide", "debian12", "compute2"), "nova.compute")
    sections = state_args(result, "nova-compute-config")[1]["sections"]
    assert sections["workarounds"] == {
        "handle_virt_lifecycle_events": False,
        "enable_qemu_monitor_announce_self": True,
    }
    # os-vif puts the host's provider NIC into the network's bridge when it
    # creates it, before a migration moves the memory (guide: eth0 of the
    # host map's compute hosts).
    assert sections["os_vif_linux_bridge"] == {"flat_interface": "eth0"}
    assert "os_vif_ovs" not in sections
    result = show(minion("guide", "debian13", "compute2"), "nova.compute")
    sections = state_args(result, "nova-compute-config")[1]["sections"]
    assert sections["workarounds"] == {"enable_qemu_monitor_announce_self": True}
    assert sections["os_vif_ovs"] == {"ovsdb_connection": "tcp:127.0.0.1:6640"}
    assert "os_vif_linux_bridge" not in sections


@pytest.mark.parametrize("family", GRAINS)
@pytest.mark.parametrize("host", sorted(hosts_of("guide")))
def test_highstate_compiles_with_every_requisite(minion, family, host):
    """Each host's highstate compiles to low chunks: every requisite names a
    state that exists (show_sls alone does not check that; seen in the lab:
    a requisite written as one string, 'pkg: keystone-packages')."""
    low = minion("guide", family, host).cmd("state.show_lowstate")
    assert isinstance(low, list), low
    errors = [chunk for chunk in low if not isinstance(chunk, dict)]
    assert not errors, errors
