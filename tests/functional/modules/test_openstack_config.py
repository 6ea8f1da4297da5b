"""
openstack_config through Salt's real loaders (module_dirs/states_dirs at the
repo, as a minion loads them after saltutil.sync_all): the state calls the
real execution module, by state.single and from SLS text like the project's.
The ``loaders`` fixture is tests/functional/conftest.py's.
"""

import logging
import os
import shutil

import pytest

from tests.support.paths import INI

NOVA = INI / "nova.conf"
KEYSTONE = INI / "keystone.conf"
SECRETS = ("s3cr3t-rabbit", "s3cr3t-db", "s3cr3t-keystone")


def salt_log(caplog):
    """What Salt and our modules logged (not the test harness's call echo)."""
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("saltfactories")
    )


@pytest.fixture
def nova(tmp_path):
    path = tmp_path / "nova.conf"
    shutil.copyfile(NOVA, path)
    return path


@pytest.fixture
def keystone(tmp_path):
    path = tmp_path / "keystone.conf"
    shutil.copyfile(KEYSTONE, path)
    return path


SECTIONS = {
    "DEFAULT": {
        "transport_url": "rabbit://openstack:s3cr3t-rabbit@controller",
        "enabled_apis": "osapi_compute,metadata",
    },
    "database": {"connection": "mysql+pymysql://nova:s3cr3t-db@controller/nova"},
    "keystone_authtoken": {"password": "s3cr3t-keystone"},
    "filter_scheduler": {"available_filters": ["f.a", "f.b"]},
}


def test_module_functions_load_and_work(loaders, keystone):
    mod = loaders.modules.openstack_config
    assert mod.get(str(keystone), "DEFAULT", "log_dir") == "/var/log/keystone"
    assert mod.set(str(keystone), "token", "provider", "fernet") == {
        "token/provider": {"old": None, "new": "fernet"}
    }
    assert mod.get(str(keystone), "token", "provider") == "fernet"
    assert mod.delete(str(keystone), "token", "provider") == {
        "token/provider": {"old": "fernet", "new": None}
    }
    assert keystone.read_bytes() == KEYSTONE.read_bytes()


def test_state_test_mode_run_and_rerun(loaders, nova, caplog):
    state = loaders.states.openstack_config
    caplog.set_level(logging.DEBUG)

    ret = state.present(name=str(nova), sections=SECTIONS, test=True)
    assert ret.result is None
    assert set(ret.changes) == {
        "DEFAULT/transport_url",
        "DEFAULT/enabled_apis",
        "database/connection",
        "keystone_authtoken/password",
        "filter_scheduler/available_filters",
    }
    assert nova.read_bytes() == NOVA.read_bytes()

    ret = state.present(name=str(nova), sections=SECTIONS)
    assert ret.result is True
    assert ret.changes["DEFAULT/transport_url"] == {
        "old": None,
        "new": "rabbit://openstack:******@controller",
    }
    assert ret.changes["keystone_authtoken/password"] == {"old": None, "new": "******"}
    assert loaders.modules.openstack_config.get(str(nova), "keystone_authtoken", "password") == (
        "s3cr3t-keystone"
    )

    os.utime(nova, ns=(10**18, 10**18))
    ret = state.present(name=str(nova), sections=SECTIONS)
    assert ret.result is True
    assert ret.changes == {}
    assert nova.stat().st_mtime_ns == 10**18

    log = salt_log(caplog)
    assert "openstack_config.present" in log  # Salt's own log is captured
    for secret in SECRETS:
        assert secret not in log


def test_sls_as_the_project_writes_it(loaders, nova, caplog):
    caplog.set_level(logging.DEBUG)
    sls = f"""
nova-config-nova-conf:
  openstack_config.present:
    - name: {nova}
    - sections:
        DEFAULT:
          transport_url: rabbit://openstack:s3cr3t-rabbit@controller
          enabled_apis: osapi_compute,metadata
        database:
          connection: mysql+pymysql://nova:s3cr3t-db@controller/nova
    - absent:
        DEFAULT: [state_path]

nova-config-no-pybasedir:
  openstack_config.absent:
    - name: {nova}
    - sections:
        DEFAULT: [pybasedir]
    - require:
      - openstack_config: nova-config-nova-conf
"""
    ret = loaders.modules.state.template_str(sls)
    by_id = {result.id: result for result in ret}
    assert set(by_id) == {"nova-config-nova-conf", "nova-config-no-pybasedir"}
    assert all(result.result is True for result in ret)
    assert set(by_id["nova-config-nova-conf"].changes) == {
        "DEFAULT/transport_url",
        "DEFAULT/enabled_apis",
        "database/connection",
        "DEFAULT/state_path",
    }
    assert by_id["nova-config-no-pybasedir"].changes == {
        "DEFAULT/pybasedir": {"old": "/usr/lib/python3/dist-packages", "new": None}
    }
    log = salt_log(caplog)
    assert "openstack_config.absent" in log
    for secret in SECRETS:
        assert secret not in str(ret)
        assert secret not in log
    text = nova.read_text()
    assert "connection = mysql+pymysql://nova:s3cr3t-db@controller/nova\n" in text
    assert "\nstate_path" not in text

    ret = loaders.modules.state.template_str(sls)
    assert all(result.result is True and result.changes == {} for result in ret)


def test_state_errors(loaders, tmp_path):
    state = loaders.states.openstack_config
    ret = state.present(name=str(tmp_path / "nova.conf"), sections=SECTIONS)
    assert ret.result is False
    assert ret.comment == f"{tmp_path / 'nova.conf'}: no such file"

    bad = tmp_path / "bad.conf"
    bad.write_text("[DEFAULT]\n[database\nconnection = x\n")
    ret = state.present(name=str(bad), sections=SECTIONS)
    assert ret.result is False
    assert ret.comment == (
        f"{bad}: malformed INI: line 2: section header not terminated by ']' "
        "or not alone on its line"
    )
