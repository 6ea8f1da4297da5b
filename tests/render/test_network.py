"""
Render tests of the instances' network (issue 12): ML2/OVN on 2025.1
(Debian 13, CentOS Stream 9), the linuxbridge agent on Debian 12's Zed; the
provider network on a wire of its own, which the gateway never forwards to
the LAN.
"""

import pytest

from tests.support.render import show, state_args

OVN_FAMILIES = ["debian13", "centos9"]


@pytest.mark.parametrize("family", OVN_FAMILIES)
def test_ovn_central_listens_on_the_controllers_lan_address(minion, family):
    """The NB and SB databases get one TCP listener each, on the LAN address."""
    result = show(minion("guide", family, "controller"), "ovn.central")
    for db, port in (("nb", 6641), ("sb", 6642)):
        function, args = state_args(result, f"ovn-central-{db}-listener")
        assert function == "ovn.connection"
        assert (args["name"], args["targets"]) == (db, [f"ptcp:{port}:192.168.0.5"])


@pytest.mark.parametrize("family", OVN_FAMILIES)
def test_neutron_server_uses_the_ovn_driver(minion, family):
    result = show(minion("guide", family, "controller"), "neutron.server")
    conf = state_args(result, "neutron-server-config")[1]["sections"]
    assert conf["DEFAULT"]["service_plugins"] == "ovn-router"
    assert "experimental" not in conf
    ml2 = state_args(result, "neutron-server-ml2")[1]["sections"]
    assert ml2["ml2"]["mechanism_drivers"] == "ovn"
    assert ml2["ml2_type_geneve"]["max_header_size"] == 38
    assert ml2["ovn"] == {
        "ovn_nb_connection": "tcp:192.168.0.5:6641",
        "ovn_sb_connection": "tcp:192.168.0.5:6642",
        "ovn_metadata_enabled": True,
    }
    # the server starts once OVN's databases listen
    requires = state_args(result, "neutron-server-services")[1]["require"]
    assert {"ovn": "ovn-central-nb-listener"} in requires


def test_debian13_runs_the_ovn_maintenance_worker(minion):
    """Under uWSGI the OVN driver's sync and repairs are a server of their own."""
    result = show(minion("guide", "debian13", "controller"), "neutron.server")
    names = state_args(result, "neutron-server-services")[1]["names"]
    assert "neutron-ovn-maintenance-worker" in names
    assert "neutron-periodic-workers" in names


def test_zed_keeps_linuxbridge_on_the_provider_nic(minion):
    """Debian 12's Zed: linuxbridge, mapped to the provider NIC, not the LAN's."""
    controller = show(minion("guide", "debian12", "controller"), "neutron.server")
    ml2 = state_args(controller, "neutron-server-ml2")[1]["sections"]
    assert ml2["ml2"]["mechanism_drivers"] == "linuxbridge"
    assert show(minion("guide", "debian12", "controller"), "ovn.central") == {}
    compute = show(minion("guide", "debian12", "compute2"), "neutron.agent")
    bridge = state_args(compute, "neutron-agent-linuxbridge")[1]["sections"]
    assert bridge["linux_bridge"]["physical_interface_mappings"] == "provider:eth0"
    assert show(minion("guide", "debian12", "compute2"), "ovn.chassis") == {}


@pytest.mark.parametrize("family", OVN_FAMILIES)
def test_a_compute_host_is_a_chassis_named_like_nova_host(minion, family):
    result = show(minion("guide", family, "compute2"), "ovn.chassis")
    ids = state_args(result, "ovn-chassis-external-ids")[1]["ids"]
    assert ids["ovn-remote"] == "tcp:192.168.0.5:6642"
    assert ids["ovn-encap-ip"] == "192.168.0.2"
    assert ids["ovn-bridge-mappings"] == "provider:br-provider"
    assert ids["hostname"] == "compute2"
    assert "ovn-cms-options" not in ids
    bridge = state_args(result, "ovn-chassis-provider-bridge")[1]
    assert (bridge["name"], bridge["datapath_type"], bridge["ports"]) == (
        "br-provider",
        "system",
        ["eth0"],
    )
    # a real host's datapath is the kernel's: no userspace options
    assert "ovn-chassis-userspace-tso" not in result
    # the management address is on no bridge of Open vSwitch
    assert "eth1" not in bridge["ports"]
    assert "ovn-chassis-gateway-address" not in result


def test_the_gateway_holds_the_provider_router_address(minion):
    result = show(minion("guide", "debian13", "compute1"), "ovn.chassis")
    unit = state_args(result, "ovn-chassis-gateway-address-unit")[1]["contents"]
    assert "ip address replace 10.0.0.1/24 dev br-provider" in unit
    assert "disable_ipv6=1" in unit
    ids = state_args(result, "ovn-chassis-external-ids")[1]["ids"]
    assert ids["ovn-cms-options"] == "enable-chassis-as-gw"
    assert state_args(result, "ovn-chassis-provider-bridge")[1]["ports"] == ["eth2"]


def test_one_nic_hosts_carry_the_provider_network_on_a_vlan(minion):
    """twelve_computes: one NIC each, network:provider:vlan 100."""
    result = show(minion("twelve_computes", "debian13", "compute5"), "ovn.chassis")
    assert state_args(result, "ovn-chassis-provider-bridge")[1]["ports"] == ["eth1.100"]
    unit = state_args(result, "ovn-chassis-provider-link-unit")[1]["contents"]
    assert "ip link add link eth1 name eth1.100 type vlan id 100'" in unit


def test_the_lab_runs_the_userspace_datapath(minion):
    local = {"openstack": {"network": {"datapath_type": "netdev"}}}
    result = show(minion("guide", "debian13", "compute2", local=local), "ovn.chassis")
    assert state_args(result, "ovn-chassis-provider-bridge")[1]["datapath_type"] == "netdev"
    ids = state_args(result, "ovn-chassis-external-ids")[1]["ids"]
    assert ids["ovn-bridge-datapath-type"] == "netdev"
    function, args = state_args(result, "ovn-chassis-userspace-tso")
    assert "other_config:userspace-tso-enable=true" in args["name"]


@pytest.mark.parametrize("family", OVN_FAMILIES)
def test_metadata_agent_reaches_nova_and_the_southbound_db(minion, family):
    result = show(minion("guide", family, "compute3"), "neutron.agent")
    ini = state_args(result, "neutron-ovn-metadata-config")[1]["sections"]
    assert ini["DEFAULT"]["nova_metadata_host"] == "controller"
    assert ini["ovn"]["ovn_sb_connection"] == "tcp:192.168.0.5:6642"
    assert ini["ovs"]["ovsdb_connection"] == "unix:/run/openvswitch/db.sock"
    # no message queue credentials on a compute host for it
    common = state_args(result, "neutron-ovn-metadata-common")[1]["sections"]
    assert "transport_url" not in common.get("DEFAULT", {})


# The gateway's rules (never forwarding between the provider network and the
# LAN) are the host firewall's: tests/render/test_firewall.py.
