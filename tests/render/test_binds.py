"""
Render tests of where the controller's services listen (issue 13): every
API, MariaDB, memcached and AMQP on the controller's LAN address from the
host map, RabbitMQ's Erlang distribution and epmd on loopback, each on the
port of openstack:catalog / openstack:firewall:services (salt/binds.jinja
reads them through firewall/services.jinja).

Debian 13 and 12 start the uWSGI APIs the same way (checked in their
packages, trixie's and bookworm's): the init script runs uWSGI with
``--http-socket :<port>`` (every address), then reads /etc/default/<NAME>,
whose DAEMON_ARGS replace that command line. Glance runs as an eventlet
server on both: bind_host in glance-api.conf. RDO's (CentOS Stream 9) is
rendered only.
"""

import subprocess

import pytest

from tests.support.pillars import hosts_of
from tests.support.render import GRAINS, show, state_args

DEBIAN = ["debian13", "debian12"]

# Debian's uWSGI APIs: (SLS, state ID, /etc/default file, port, uWSGI ini, service state)
UWSGI_APIS = [
    (
        "keystone.server",
        "keystone-listen",
        "/etc/default/keystone",
        5000,
        "/etc/keystone/keystone-uwsgi.ini",
        "keystone-service",
    ),
    (
        "placement",
        "placement-listen",
        "/etc/default/placement-api",
        8778,
        "/etc/placement/placement-api-uwsgi.ini",
        "placement-service",
    ),
    (
        "nova.controller",
        "nova-controller-listen-nova",
        "/etc/default/nova-api",
        8774,
        "/etc/nova/nova-api-uwsgi.ini",
        "nova-controller-services",
    ),
    (
        "nova.controller",
        "nova-controller-listen-nova-metadata",
        "/etc/default/nova-api-metadata",
        8775,
        "/etc/nova/nova-api-metadata-uwsgi.ini",
        "nova-controller-services",
    ),
    (
        "neutron.server",
        "neutron-server-listen",
        "/etc/default/neutron-server",
        9696,
        "/etc/neutron/neutron-api-uwsgi.ini",
        "neutron-server-services",
    ),
    (
        "cinder",
        "cinder-listen",
        "/etc/default/cinder-api",
        8776,
        "/etc/cinder/cinder-api-uwsgi.ini",
        "cinder-services",
    ),
]


# openstack:tls:internal off: the APIs on the LAN address themselves
PLAIN_LAN = {"openstack": {"tls": {"internal": False}}}


def _daemon_args(contents, tmp_path):
    """DAEMON_ARGS as the init script's shell sees it after sourcing the file."""
    path = tmp_path / "defaults"
    path.write_text(contents)
    return subprocess.run(  # noqa: S603
        ["/bin/sh", "-c", '. "$1"; printf %s "$DAEMON_ARGS"', "sh", str(path)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _controller_ip(pillar):
    return hosts_of(pillar)["controller"]["ip"]


@pytest.mark.parametrize("pillar", ["guide", "three_hosts"])
@pytest.mark.parametrize("family", DEBIAN)
def test_uwsgi_apis_listen_on_the_lan_address(minion, family, pillar, tmp_path):
    ip = _controller_ip(pillar)
    # without openstack:tls:internal (test_tls.py: with it, 127.0.0.1 behind
    # the controller's TLS proxy)
    caller = minion(pillar, family, "controller", local=PLAIN_LAN)
    rendered = {}
    for sls, state_id, path, port, ini, service in UWSGI_APIS:
        if sls not in rendered:
            rendered[sls] = show(caller, sls)
        function, args = state_args(rendered[sls], state_id)
        assert function == "file.managed", state_id
        assert args["name"] == path
        assert (args["user"], args["group"], args["mode"]) == ("root", "root", "0644")
        assert _daemon_args(args["contents"], tmp_path) == f"--http-socket {ip}:{port} --ini {ini}"
        # a new listener restarts the API
        assert args["watch_in"] == [{"service": service}], state_id


@pytest.mark.parametrize("family", DEBIAN)
def test_no_uwsgi_ini_opens_a_socket_of_its_own(minion, family):
    """An http-socket in the uWSGI ini would be a second listener on the
    port the command line already binds: uWSGI fails ("Address already in
    use"). The ini files the states manage set none."""
    caller = minion("guide", family, "controller")
    for sls in ("keystone.server", "placement", "nova.controller", "neutron.server", "cinder"):
        result = show(caller, sls)
        for state_id in result:
            function, args = state_args(result, state_id)
            if function != "openstack_config.present" or not args["name"].endswith("-uwsgi.ini"):
                continue
            options = args["sections"].get("uwsgi", {})
            assert not {"http-socket", "https-socket", "socket", "http"} & set(options), state_id


@pytest.mark.parametrize("family", GRAINS)
def test_glance_binds_its_eventlet_server(minion, family):
    """Debian runs glance-api as an eventlet server too (its init script:
    "Glance appears broken with uwsgi"): glance-api.conf's bind options."""
    result = show(minion("guide", family, "controller", local=PLAIN_LAN), "glance")
    _, args = state_args(result, "glance-config")
    assert args["name"] == "/etc/glance/glance-api.conf"
    default = args["sections"]["DEFAULT"]
    assert (default["bind_host"], default["bind_port"]) == ("192.168.0.5", 9292)
    assert default["enabled_backends"] == "fs:file"
    assert not [sid for sid in result if sid.startswith("glance-listen")]


def test_rdo_apis_bind_in_their_config(minion):
    """RDO (rendered only): the eventlet servers' bind options; keystone and
    placement under Apache: their site's Listen line (keystone's site copied
    from the package first)."""
    caller = minion("guide", "centos9", "controller", local=PLAIN_LAN)
    ip = "192.168.0.5"
    for sls, state_id, expected in (
        (
            "nova.controller",
            "nova-controller-config",
            {
                "osapi_compute_listen": ip,
                "osapi_compute_listen_port": 8774,
                "metadata_listen": ip,
                "metadata_listen_port": 8775,
            },
        ),
        ("neutron.server", "neutron-server-config", {"bind_host": ip, "bind_port": 9696}),
        (
            "cinder",
            "cinder-config",
            {"osapi_volume_listen": ip, "osapi_volume_listen_port": 8776},
        ),
    ):
        default = state_args(show(caller, sls), state_id)[1]["sections"]["DEFAULT"]
        assert {key: default.get(key) for key in expected} == expected, sls
    for sls, state_id, path, port, service in (
        (
            "keystone.server",
            "keystone-listen",
            "/etc/httpd/conf.d/wsgi-keystone.conf",
            5000,
            "keystone-service",
        ),
        (
            "placement",
            "placement-listen",
            "/etc/httpd/conf.d/00-placement-api.conf",
            8778,
            "placement-service",
        ),
    ):
        result = show(caller, sls)
        function, args = state_args(result, state_id)
        assert (function, args["name"]) == ("file.replace", path)
        assert args["repl"] == f"Listen {ip}:{port}"
        assert args["pattern"] == rf"^Listen\s+(\S+:)?{port}\s*$"
        assert args["watch_in"] == [{"service": service}]
    function, args = state_args(show(caller, "keystone.server"), "keystone-listen-site")
    assert (function, args["source"]) == ("file.copy", "/usr/share/keystone/wsgi-keystone.conf")
    # Debian's way is not RDO's
    assert not [sid for sid in show(caller, "cinder") if sid.startswith("cinder-listen")]


def test_port_and_bind_come_from_the_data(minion, tmp_path):
    """One place: an API's port is the catalog's, its bind the firewall
    list's; changing either moves the listener."""
    local = {
        "openstack": {
            "catalog": {"nova": {"port": 18774}},
            "firewall": {"services": {"keystone": {"bind": "loopback"}}},
            "tls": {"internal": False},
        }
    }
    caller = minion("guide", "debian13", "controller", local=local)
    nova = state_args(show(caller, "nova.controller"), "nova-controller-listen-nova")[1]
    assert _daemon_args(nova["contents"], tmp_path).startswith("--http-socket 192.168.0.5:18774 ")
    keystone = state_args(show(caller, "keystone.server"), "keystone-listen")[1]
    assert _daemon_args(keystone["contents"], tmp_path).startswith("--http-socket 127.0.0.1:5000 ")


def test_a_bind_an_api_cannot_have_is_refused(minion):
    local = {"openstack": {"firewall": {"services": {"cinder": {"bind": "public"}}}}}
    result = minion("guide", "debian13", "controller", local=local).cmd("state.show_sls", "cinder")
    assert isinstance(result, list)
    assert "cinder: bind public is not possible here" in "".join(result)


# ------------------------------------------------------------------- the controller's others


@pytest.mark.parametrize("family", GRAINS)
def test_mariadb_and_memcached_on_the_lan_address_only(minion, family):
    caller = minion("guide", family, "controller")
    config = state_args(show(caller, "database.server"), "database-server-config")[1]
    assert "\nbind-address = 192.168.0.5\n" in config["contents"]
    memcached = state_args(show(caller, "messaging"), "messaging-memcached-listen")[1]
    expected = {"centos9": 'OPTIONS="-l 192.168.0.5"'}.get(family, "-l 192.168.0.5")
    assert memcached["repl"] == expected


def _lines(contents):
    return [line for line in contents.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("family", GRAINS)
def test_rabbitmq_amqp_on_the_lan_distribution_and_epmd_on_loopback(minion, family):
    """AMQP (5672) on the LAN address; the Erlang distribution (25672) and
    epmd (4369) on 127.0.0.1, for the node and the command line tools'
    own listener alike; the node named on localhost, so rabbitmqctl finds
    it there (checked with RabbitMQ 3.10.8 and 4.0.5); systemd's epmd socket
    on loopback (a drop-in: its unit listens on every address)."""
    result = show(minion("guide", family, "controller"), "messaging")
    env = state_args(result, "messaging-rabbitmq-env")[1]
    assert env["name"] == "/etc/rabbitmq/rabbitmq-env.conf"
    assert _lines(env["contents"]) == [
        "NODENAME=rabbit@localhost",
        "ERL_EPMD_PORT=4369",
        "DIST_PORT=25672",
        "ERL_EPMD_ADDRESS=127.0.0.1",
        'SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"',
        'CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"',
    ]
    config = state_args(result, "messaging-rabbitmq-config")[1]
    assert config["name"] == "/etc/rabbitmq/rabbitmq.conf"
    assert _lines(config["contents"]) == ["listeners.tcp.1 = 192.168.0.5:5672"]
    dropin = state_args(result, "messaging-epmd-listen")[1]
    assert dropin["name"] == "/etc/systemd/system/epmd.socket.d/openstack-salt.conf"
    assert _lines(dropin["contents"]) == [
        "[Socket]",
        "ListenStream=",
        "ListenStream=127.0.0.1:4369",
    ]
    function, socket = state_args(result, "messaging-epmd-socket")
    assert (function, socket["name"]) == ("service.running", "epmd.socket")
    assert socket["watch"] == [{"file": "messaging-epmd-listen"}]
    # systemd reads the drop-in before the socket starts (Debian 12's did
    # not, in the lab: epmd on *:4369); an epmd on another address than the
    # drop-in's is stopped with its socket; only then
    reload_ = state_args(result, "messaging-epmd-reload")[1]
    assert reload_["name"] == "systemctl daemon-reload"
    assert reload_["onchanges"] == [{"file": "messaging-epmd-listen"}]
    assert reload_["require_in"] == [{"service": "messaging-epmd-socket"}]
    stop = state_args(result, "messaging-epmd-stop")[1]
    assert stop["require"] == [{"cmd": "messaging-epmd-reload"}]
    assert stop["name"].startswith("systemctl daemon-reload && systemctl stop")
    assert stop["name"].endswith(" epmd.service epmd.socket")
    assert "grep -qvx '127.0.0.1:4369'" in stop["onlyif"]
    assert "sport = :4369" in stop["onlyif"]
    assert stop["require_in"] == [{"service": "messaging-epmd-socket"}]
    # every change restarts RabbitMQ, after epmd's socket
    service = state_args(result, "messaging-rabbitmq-service")[1]
    assert {"service": "messaging-epmd-socket"} in service["require"]
    for state_id in (
        "messaging-rabbitmq-env",
        "messaging-rabbitmq-config",
        "messaging-epmd-listen",
    ):
        assert {"file": state_id} in service["watch"]
    assert {"cmd": "messaging-epmd-stop"} in service["watch"]


@pytest.mark.parametrize("family", GRAINS)
def test_rabbitmq_password_never_on_a_command_line(minion, family):
    """The openstack user's password reaches rabbitmqctl on its standard
    input, through the environment (rabbitmq_user.present would put it in
    rabbitmqctl's arguments, at every run); the user's permissions are
    still rabbitmq_user.present's, without a password."""
    result = show(minion("guide", family, "controller"), "messaging")
    secret = "test-secret-rabbitmq_password"
    function, args = state_args(result, "messaging-rabbitmq-user-password")
    assert function == "cmd.run"
    assert args["env"] == {"RABBITMQ_PASSWORD": secret}
    for command in (args["name"], args["unless"]):
        assert secret not in command
        assert '"$RABBITMQ_PASSWORD" | rabbitmqctl ' in command
    assert "rabbitmqctl add_user openstack" in args["name"]
    assert "rabbitmqctl change_password openstack" in args["name"]
    assert args["unless"].endswith("rabbitmqctl authenticate_user openstack")
    function, user = state_args(result, "messaging-rabbitmq-user")
    assert function == "rabbitmq_user.present"
    assert "password" not in user
    assert user["require"] == [{"cmd": "messaging-rabbitmq-user-password"}]


# ------------------------------------------------------------------- GlusterFS


@pytest.mark.parametrize("family", GRAINS)
@pytest.mark.parametrize("pillar", ["guide", "three_hosts", "twelve_computes"])
def test_gluster_volume_admits_the_host_map_only(minion, family, pillar):
    """The volume's auth.allow is every host map address (each host mounts
    it; the self-heal daemons run on the brick hosts) and nothing else."""
    result = show(minion(pillar, family, "controller"), "glusterfs.volume")
    _, args = state_args(result, "glusterfs-volume-vm-instances")
    hosts = hosts_of(pillar)
    assert args["options"]["auth.allow"] == ",".join(hosts[name]["ip"] for name in sorted(hosts))


@pytest.mark.parametrize("family", GRAINS)
def test_glusterd_hands_out_brick_ports_in_the_firewalls_range(minion, family):
    """glusterd picks each brick's port at random between base-port and
    max-port (GlusterFS 10 and 11: 49152-60999 as packaged): both are set
    to openstack:firewall:services gluster-bricks' range."""
    result = show(minion("guide", family, "compute2"), "glusterfs.server")
    for option, port in (("base-port", 49300), ("max-port", 49399)):
        function, args = state_args(result, f"glusterfs-server-{option}")
        assert (function, args["name"]) == ("file.replace", "/etc/glusterfs/glusterd.vol")
        assert args["pattern"] == rf"^[ \t#]*option[ \t]+{option}[ \t]+[0-9]+[ \t]*$"
        assert args["repl"] == f"    option {option} {port}"
        assert args["watch_in"] == [{"service": "glusterfs-server-service"}]
    local = {
        "openstack": {"firewall": {"services": {"gluster-bricks": {"ports": ["50000-50099"]}}}}
    }
    result = show(minion("guide", family, "compute2", local=local), "glusterfs.server")
    assert state_args(result, "glusterfs-server-max-port")[1]["repl"] == "    option max-port 50099"


def test_gluster_auth_allow_follows_the_host_map(minion):
    """A host added to the map is admitted at the next run (the state sets
    the option on the existing volume: tests/unit/states/test_gluster.py)."""
    local = {"openstack": {"hosts": {"compute5": {"ip": "192.168.0.6", "roles": ["compute"]}}}}
    result = show(minion("guide", "debian13", "controller", local=local), "glusterfs.volume")
    allowed = state_args(result, "glusterfs-volume-vm-instances")[1]["options"]["auth.allow"]
    assert allowed.split(",") == [f"192.168.0.{n}" for n in (1, 2, 3, 4, 6, 5)]


# ------------------------------------------------------------------- the console proxy


@pytest.mark.parametrize("family", GRAINS)
def test_the_gateways_console_proxy_reaches_the_cell_database(minion, family):
    """nova-novncproxy validates console tokens in the cell's database
    (ConsoleAuthToken.validate, nova 26 and 31): the gateway's nova.conf
    (it runs the proxy) has [database]; the other compute hosts' have none.
    (openstack:firewall:services mariadb must admit the gateway.)"""
    gateway = state_args(
        show(minion("guide", family, "compute1"), "nova.compute"), "nova-compute-config"
    )
    assert gateway[1]["sections"]["database"] == {
        "connection": "mysql+pymysql://nova:test-secret-nova_db_password@controller/nova"
    }
    compute = state_args(
        show(minion("guide", family, "compute2"), "nova.compute"), "nova-compute-config"
    )
    assert "database" not in compute[1]["sections"]
