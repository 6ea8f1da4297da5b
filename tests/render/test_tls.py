"""
Render tests of the public side's TLS (issue 13): the project CA in every
host's trust store, the public certificate on the gateway only, the TLS
proxy in front of every API of the catalog, the catalog's public endpoints
on it, the noVNC proxy and the dashboard over TLS, and the services and
clients on the LAN taking the internal endpoints.
"""

import pytest
import yaml

from tests.support.paths import SALT
from tests.support.pillars import TLS_VALUES, openstack_of
from tests.support.render import GRAINS, show, state_args

GATEWAY = "compute1"
GATEWAY_IP = "192.168.0.1"

TRUST = {
    "debian13": ("/usr/local/share/ca-certificates", "update-ca-certificates"),
    "debian12": ("/usr/local/share/ca-certificates", "update-ca-certificates"),
    "centos9": ("/etc/pki/ca-trust/source/anchors", "update-ca-trust extract"),
}


@pytest.fixture(scope="module")
def cloud():
    """The guide's pillar, with the catalog of the tree's defaults."""
    data = openstack_of("guide")
    defaults = yaml.safe_load((SALT / "defaults.yaml").read_text())["openstack"]
    return dict(data, catalog=defaults["catalog"])


@pytest.mark.parametrize("family", GRAINS)
@pytest.mark.parametrize("host", ["controller", "compute3", GATEWAY])
def test_every_host_trusts_the_project_ca(minion, family, host):
    result = show(minion("guide", family, host), "tls")
    directory, update = TRUST[family]
    function, args = state_args(result, "tls-ca-trust")
    assert function == "file.managed"
    assert args["name"] == f"{directory}/openstack-salt-ca.crt"
    assert args["contents"] == TLS_VALUES["ca_cert"]
    assert args["mode"] == "0644"
    function, args = state_args(result, "tls-ca-trust-update")
    assert (function, args["name"]) == ("cmd.run", update)
    assert args["onchanges"] == [{"file": "tls-ca-trust"}]


def test_the_public_key_is_the_gateways_and_private(minion):
    result = show(minion("guide", "debian13", GATEWAY), "tls.public")
    function, args = state_args(result, "tls-public-cert")
    assert (function, args["name"]) == ("file.managed", "/etc/openstack-salt/tls/public.pem")
    assert args["contents"] == TLS_VALUES["public"]["cert"]
    function, args = state_args(result, "tls-public-key")
    assert args["name"] == "/etc/openstack-salt/tls/public.pem.key"
    assert (args["user"], args["group"], args["mode"]) == ("root", "nova", "0640")
    assert args["show_changes"] is False
    assert args["contents"] == TLS_VALUES["public"]["key"]


def test_the_proxy_fronts_every_api_of_the_catalog(minion, cloud):
    result = show(minion("guide", "debian13", GATEWAY), "haproxy")
    function, args = state_args(result, "haproxy-config")
    assert (function, args["name"]) == ("file.managed", "/etc/haproxy/haproxy.cfg")
    assert args["check_cmd"] == "haproxy -c -f"
    context = args["context"]
    expected = sorted((name, entry["port"]) for name, entry in cloud["catalog"].items())
    assert sorted((fe["name"], fe["port"]) for fe in context["frontends"]) == expected
    assert context["binds"] == [cloud["public_ip"], GATEWAY_IP]
    # to the controller's own TLS proxy (openstack:tls:internal), its
    # certificate checked against the project CA
    assert context["backend"] == {
        "address": cloud["hosts"]["controller"]["ip"],
        "tls": True,
        "name": "controller",
        "ca": "/usr/local/share/ca-certificates/openstack-salt-ca.crt",
    }
    assert context["cert"] == "/etc/openstack-salt/tls/public.pem"
    function, args = state_args(result, "haproxy-service")
    assert (function, args["reload"]) == ("service.running", True)


def test_the_catalogs_public_endpoints_are_the_proxys(minion, cloud):
    result = show(minion("guide", "debian13", "controller"), "keystone.catalog")
    services = {s["type"]: s for s in state_args(result, "keystone-catalog")[1]["services"]}
    assert set(services) == {entry["type"] for entry in cloud["catalog"].values()}
    for entry in cloud["catalog"].values():
        endpoints = services[entry["type"]]["endpoints"]
        port_path = f":{entry['port']}{entry['path']}"
        assert endpoints["public"] == f"https://{cloud['public_ip']}{port_path}"
        # openstack:tls:internal (default true): the controller's TLS proxy
        assert endpoints["internal"] == endpoints["admin"] == f"https://controller{port_path}"


def test_the_lans_clients_take_the_internal_endpoints(minion):
    caller = minion("guide", "debian13", "controller")
    openrc = state_args(show(caller, "keystone.server"), "keystone-admin-openrc")[1]
    assert "export OS_INTERFACE=internal\n" in openrc["contents"]
    cinder = state_args(show(caller, "cinder"), "cinder-config")[1]["sections"]
    assert cinder["nova"]["interface"] == "internal"
    assert cinder["DEFAULT"]["glance_catalog_info"] == "image:glance:internalURL"
    neutron = state_args(show(caller, "neutron.server"), "neutron-server-config")[1]["sections"]
    assert neutron["nova"]["endpoint_type"] == "internal"
    nova = state_args(show(caller, "nova.controller"), "nova-controller-config")[1]["sections"]
    assert nova["cinder"]["catalog_info"] == "volumev3::internalURL"
    # Salt's own Python (its bundled CA certificates, not the system's)
    # checks the internal endpoints against the project CA
    ca_file = "/usr/local/share/ca-certificates/openstack-salt-ca.crt"
    profile = state_args(show(caller, "keystone.catalog"), "keystone-catalog")[1]["profile"]
    assert profile["verify"] == ca_file
    logins = state_args(show(caller, "audit.passwords"), "audit-keystone-passwords")[1]
    assert logins["cafile"] == ca_file


@pytest.mark.parametrize(
    ("sls", "state_id"),
    [
        ("keystone.server", "keystone-config"),
        ("glance", "glance-config"),
        ("placement", "placement-config"),
        ("nova.controller", "nova-controller-config"),
        ("neutron.server", "neutron-server-config"),
        ("cinder", "cinder-config"),
    ],
)
def test_each_api_reads_the_proxys_headers(minion, sls, state_id):
    """Behind the proxy, each API builds its links (version discovery) from
    X-Forwarded-Proto: the https URL the user asked for."""
    result = show(minion("guide", "debian13", "controller"), sls)
    sections = state_args(result, state_id)[1]["sections"]
    assert sections["oslo_middleware"] == {"enable_proxy_headers_parsing": True}


def test_the_console_proxy_speaks_tls_only(minion, cloud):
    gateway = state_args(
        show(minion("guide", "debian13", GATEWAY), "nova.compute"), "nova-compute-config"
    )
    default = gateway[1]["sections"]["DEFAULT"]
    assert default["ssl_only"] is True
    assert default["cert"] == "/etc/openstack-salt/tls/public.pem"
    assert default["key"] == "/etc/openstack-salt/tls/public.pem.key"
    assert gateway[1]["sections"]["vnc"]["novncproxy_base_url"] == (
        f"https://{cloud['public_ip']}:6080/vnc_auto.html"
    )
    other = state_args(
        show(minion("guide", "debian13", "compute2"), "nova.compute"), "nova-compute-config"
    )
    assert "ssl_only" not in other[1]["sections"]["DEFAULT"]
    proxy = show(minion("guide", "debian13", GATEWAY), "nova.novncproxy")
    watch = state_args(proxy, "nova-novncproxy-service")[1]["watch"]
    assert {"file": "tls-public-key"} in watch


def test_the_dashboard_serves_the_public_certificate(minion):
    result = show(minion("guide", "debian13", GATEWAY), "horizon")
    site = "/etc/apache2/sites-available/openstack-dashboard-ssl.conf"
    for directive, file in [
        ("sslcertificatefile", "public.pem"),
        ("sslcertificatekeyfile", "public.pem.key"),
    ]:
        function, args = state_args(result, f"horizon-tls-{directive}")
        assert (function, args["name"]) == ("file.replace", site)
        assert args["repl"].endswith(f" /etc/openstack-salt/tls/{file}")
    function, args = state_args(result, "horizon-tls-protocols")
    assert "SSLProtocol -all +TLSv1.2 +TLSv1.3" in args["contents"]
    redhat = show(minion("guide", "centos9", GATEWAY), "horizon")
    assert not [sid for sid in redhat if sid.startswith("horizon-tls-")]


def test_the_controller_proxies_the_internal_endpoints(minion, cloud):
    """openstack:tls:internal: HAProxy holds each API's LAN address and
    port with the controller's own certificate; the API behind it listens
    on 127.0.0.1, same port. The metadata API (not in the catalog) stays
    on the LAN address."""
    caller = minion("guide", "debian13", "controller")
    controller_ip = cloud["hosts"]["controller"]["ip"]
    context = state_args(show(caller, "haproxy"), "haproxy-config")[1]["context"]
    assert context["binds"] == [controller_ip]
    assert context["backend"] == {"address": "127.0.0.1", "tls": False}
    assert context["cert"] == "/etc/openstack-salt/tls/host.pem"
    keystone = state_args(show(caller, "keystone.server"), "keystone-listen")[1]
    assert "--http-socket 127.0.0.1:5000 " in keystone["contents"]
    glance = state_args(show(caller, "glance"), "glance-config")[1]["sections"]
    assert (glance["DEFAULT"]["bind_host"], glance["DEFAULT"]["bind_port"]) == ("127.0.0.1", 9292)
    nova = show(caller, "nova.controller")
    assert (
        "--http-socket 127.0.0.1:8774 "
        in state_args(nova, "nova-controller-listen-nova")[1]["contents"]
    )
    metadata = state_args(nova, "nova-controller-listen-nova-metadata")[1]["contents"]
    assert f"--http-socket {controller_ip}:8775 " in metadata
    sections = state_args(nova, "nova-controller-config")[1]["sections"]
    assert sections["keystone_authtoken"]["www_authenticate_uri"] == "https://controller:5000"
    assert sections["glance"]["api_servers"] == "https://controller:9292"
    key = state_args(show(caller, "tls.host"), "tls-host-key")[1]
    assert (key["name"], key["mode"], key["show_changes"]) == (
        "/etc/openstack-salt/tls/host.pem.key",
        "0600",
        False,
    )
    assert key["contents"] == TLS_VALUES["host"]["key"]


def test_without_internal_tls_the_lan_stays_plain(minion, cloud):
    caller = minion(
        "guide", "debian13", "controller", local={"openstack": {"tls": {"internal": False}}}
    )
    result = show(caller, "keystone.catalog")
    services = {s["type"]: s for s in state_args(result, "keystone-catalog")[1]["services"]}
    assert services["identity"]["endpoints"]["internal"] == "http://controller:5000/v3"
    assert services["identity"]["endpoints"]["public"] == f"https://{cloud['public_ip']}:5000/v3"
    keystone = state_args(show(caller, "keystone.server"), "keystone-listen")[1]
    assert f"--http-socket {cloud['hosts']['controller']['ip']}:5000 " in keystone["contents"]
    gateway = minion(
        "guide", "debian13", GATEWAY, local={"openstack": {"tls": {"internal": False}}}
    )
    context = state_args(show(gateway, "haproxy"), "haproxy-config")[1]["context"]
    assert context["backend"]["tls"] is False
