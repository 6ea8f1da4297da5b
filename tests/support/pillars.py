"""
The pillars the tests deploy against, built from the project's own pillar
files so the tests check what ships:

- ``guide``: pillar/ as it is (the guide's five hosts);
- ``three_hosts``: a controller and two compute hosts, one of them the gateway;
- ``twelve_computes``: a controller and twelve compute hosts (replica 4, so a
  distributed-replicated volume of 3 x 4 bricks), each with one NIC: the
  provider network on VLAN 100 of the LAN NIC.
"""

import copy
import importlib.util
import pathlib
import shutil

import yaml

# PILLAR and REPO are also imported from here by tests.
from tests.support.paths import PILLAR, REPO

# Fixed test secrets: only ever written into a test's temporary pillar.
SECRET_VALUE = "test-secret-{}"
# What openstack.secrets puts in a host's pillar for TLS (pillar/secrets/
# hosts/<host>.sls), as placeholders: the states only copy them into files.
TLS_VALUES = {
    "ca_cert": "-----BEGIN CERTIFICATE-----\ntest-ca\n-----END CERTIFICATE-----\n",
    "host": {
        "cert": "-----BEGIN CERTIFICATE-----\ntest-host\n-----END CERTIFICATE-----\n",
        "key": "-----BEGIN PRIVATE KEY-----\ntest-host-key\n-----END PRIVATE KEY-----\n",
    },
    "public": {
        "cert": "-----BEGIN CERTIFICATE-----\ntest-public\n-----END CERTIFICATE-----\n",
        "key": "-----BEGIN PRIVATE KEY-----\ntest-public-key\n-----END PRIVATE KEY-----\n",
    },
}


def _load(name):
    return yaml.safe_load((PILLAR / "openstack" / f"{name}.sls").read_text())


def _compute(index, gateway=False, provider_nic=True):
    host = {
        "ip": f"192.168.0.{index}",
        "roles": ["compute", "gateway"] if gateway else ["compute"],
        "interfaces": {"lan": "eth1"},
    }
    if provider_nic:
        host["interfaces"]["provider"] = "eth2"
    if gateway:
        host["aliases"] = ["gateway"]
        host["interfaces"]["public"] = "eth0"
    return host


def hosts_of(name):
    """The host map of one of the test pillars."""
    if name == "guide":
        return _load("hosts")["openstack"]["hosts"]
    count = {"three_hosts": 2, "twelve_computes": 12}[name]
    hosts = {
        f"compute{i}": _compute(i, gateway=(i == 1), provider_nic=(name != "twelve_computes"))
        for i in range(1, count + 1)
    }
    hosts["controller"] = {
        "ip": "192.168.0.100",
        "roles": ["controller"],
        "interfaces": {"lan": "eth0"},
    }
    return hosts


def openstack_of(name, with_secrets=True):
    """The whole ``openstack`` pillar mapping of a test pillar, as the
    controller would receive it."""
    data = copy.deepcopy(_load("cloud")["openstack"])
    data["hosts"] = hosts_of(name)
    if name == "three_hosts":
        data["storage"]["replica"] = 2
    if name == "twelve_computes":
        data["network"]["provider"]["vlan"] = 100
    if with_secrets:
        data["secrets"] = secrets_for(data)
    return data


def load_extension(kind, name):
    """
    Import ``<REPO>/<kind>/<name>.py`` (kind: _modules, _states, _runners...)
    as a module of its own, so an execution and a state module of one name
    can be loaded side by side.
    """
    path = REPO / kind / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"project{kind}.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_runner():
    """The project's ``openstack`` runner as a plain Python module."""
    return load_extension("_runners", "openstack")


def secrets_for(openstack):
    return {name: SECRET_VALUE.format(name) for name in load_runner().secret_names(openstack)}


def write_pillar_root(root, name, secrets=True, tls=False):
    """A pillar tree like the project's (same top.sls) holding pillar
    ``name``; with ``tls``, each host's TLS placeholders where
    ``openstack.secrets`` writes the real ones (the render tests: the
    states only copy them into files)."""
    root = pathlib.Path(root)
    shutil.copytree(PILLAR, root, ignore=shutil.ignore_patterns("secrets", "local.sls"))
    data = openstack_of(name, with_secrets=False)
    hosts = data.pop("hosts")
    (root / "openstack" / "hosts.sls").write_text(yaml.safe_dump({"openstack": {"hosts": hosts}}))
    (root / "openstack" / "cloud.sls").write_text(yaml.safe_dump({"openstack": data}))
    if secrets:
        (root / "secrets").mkdir()
        (root / "secrets" / "generated.sls").write_text(
            yaml.safe_dump({"openstack": {"secrets": secrets_for(data)}})
        )
    if tls:
        (root / "secrets" / "hosts").mkdir(parents=True, exist_ok=True)
        for host in hosts:
            (root / "secrets" / "hosts" / f"{host}.sls").write_text(
                yaml.safe_dump({"openstack": {"tls": TLS_VALUES}})
            )
    return root
