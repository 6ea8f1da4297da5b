"""
Every file a host's highstate writes a secret into (issue 13: files 0640
root:<service group> or stricter), listed here per platform and host of the
guide's map, and found in the rendered states by the test pillar's secret
values (tests/support/pillars.py: test-secret-<name>), so a new file that
holds one fails until it is listed with its owner and mode:

- an INI file of openstack_config.present: the mode is its config_file
  state's ``<id>-mode`` (macros.jinja), applied before any secret is
  written (openstack_config keeps a file's owner and mode when it
  rewrites it);
- a file.* state: its own user, group and mode, and no diff in the output.

Not here, because no state writes them: the Erlang cookie (Debian's
rabbitmq-server postinst: 0400 rabbitmq), Keystone's fernet and credential
keys (keystone-manage: 0600 keystone in 0700 directories), the verification's
test key (openstack_verify: 0600 in a 0700 directory) and the master's
pillar/secrets/generated.sls (the openstack runner: 0600).

Also checked: no state puts a secret on a command line (a command's name,
unless or onlyif), where any local user's `ps` would show it.
"""

import json

import pytest

from tests.support.render import state_args

# The one secret that is not one: the nova key pair's public half.
PUBLIC = "test-secret-nova_migration_ssh_pubkey"
ROOT_ONLY = ("root", "root", "0600")


def _ini(group):
    return ("root", group, "0640")


# The nova key pair's private half belongs to nova (ssh refuses a key its
# owner does not own when the group may read it; libvirtd uses it as root).
NOVA_KEY = {"/var/lib/nova/.ssh/id_ed25519": ("nova", "nova", "0600")}
CONTROLLER = {
    "/etc/keystone/keystone.conf": _ini("keystone"),
    "/etc/glance/glance-api.conf": _ini("glance"),
    "/etc/placement/placement.conf": _ini("placement"),
    "/etc/nova/nova.conf": _ini("nova"),
    "/etc/neutron/neutron.conf": _ini("neutron"),
    "/etc/cinder/cinder.conf": _ini("cinder"),
    "/root/admin-openrc": ROOT_ONLY,
    "/root/.my.cnf": ROOT_ONLY,
}
# ML2/OVN (2025.1): the metadata agent's file holds the proxy's secret.
OVN_COMPUTE = {
    "/etc/nova/nova.conf": _ini("nova"),
    "/etc/neutron/neutron_ovn_metadata_agent.ini": _ini("neutron"),
    **NOVA_KEY,
}
# Zed's linuxbridge: neutron.conf (AMQP) on every compute host, the
# gateway's metadata agent.
LINUXBRIDGE_COMPUTE = {
    "/etc/nova/nova.conf": _ini("nova"),
    "/etc/neutron/neutron.conf": _ini("neutron"),
    **NOVA_KEY,
}
DEBIAN_DASHBOARD = {
    "/etc/openstack-dashboard/local_settings.d/_90_openstack_salt.py": _ini("www-data")
}
RDO_DASHBOARD = {
    "/usr/share/openstack-dashboard/openstack_dashboard/local/local_settings.d/"
    "_90_openstack_salt.py": _ini("apache")
}
EXPECTED = {
    "debian13": {
        "controller": CONTROLLER,
        "compute1": {**OVN_COMPUTE, **DEBIAN_DASHBOARD},
        "compute2": OVN_COMPUTE,
    },
    "debian12": {
        "controller": CONTROLLER,
        "compute1": {
            **LINUXBRIDGE_COMPUTE,
            "/etc/neutron/metadata_agent.ini": _ini("neutron"),
            **DEBIAN_DASHBOARD,
        },
        "compute2": LINUXBRIDGE_COMPUTE,
    },
    "centos9": {
        "controller": CONTROLLER,
        "compute1": {**OVN_COMPUTE, **RDO_DASHBOARD},
        "compute2": OVN_COMPUTE,
    },
}


def _holds_a_secret(value):
    return "test-secret-" in json.dumps(value).replace(PUBLIC, "")


def _secret_files(highstate):
    """{path: (user, group, mode, state ID)} of the states writing a secret."""
    found = {}
    for state_id in sorted(highstate):
        function, args = state_args(highstate, state_id)
        from_pillar = str(args.get("contents_pillar", "")).startswith("openstack:secrets:")
        if function == "openstack_config.present" and _holds_a_secret(args["sections"]):
            _, mode = state_args(highstate, f"{state_id}-mode")
            assert mode["name"] == args["name"], state_id
            assert mode["replace"] is False, state_id
            assert {"file": f"{state_id}-mode"} in args["require"], state_id
        elif function.startswith("file.") and (_holds_a_secret(args) or from_pillar):
            mode = args
            assert args.get("show_changes") is False, f"{state_id} would show its diff"
        else:
            continue
        path = args["name"]
        entry = (mode.get("user"), mode.get("group"), mode.get("mode"))
        assert found.get(path, entry) == entry, f"{path}: two states, two modes"
        found[path] = entry
    return found


@pytest.mark.parametrize("host", ["controller", "compute1", "compute2"])
@pytest.mark.parametrize("family", EXPECTED)
def test_every_file_holding_a_secret_is_private(minion, family, host):
    highstate = minion("guide", family, host).cmd("state.show_highstate")
    assert isinstance(highstate, dict), highstate
    assert _secret_files(highstate) == EXPECTED[family][host]
    for path, (user, _group, mode) in EXPECTED[family][host].items():
        perms = int(mode, 8)
        # 0640 root:<group> or stricter; a service user's own file 0600
        assert not perms & (0o137 if user == "root" else 0o177), path
    # and no secret on a command line
    for state_id in highstate:
        function, args = state_args(highstate, state_id)
        if function.startswith("cmd."):
            for key in ("name", "names", "unless", "onlyif"):
                assert not _holds_a_secret(args.get(key, "")), f"{state_id}: {key}"
