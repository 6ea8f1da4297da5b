"""
The openstack_config execution and state modules on copies of the config files
Debian 12's packages ship (tests/unit/ini, see its README): what changes in
the file is exactly the lines asked for, comments and order stay; repeated
keys; masking; idempotence; test mode; errors.
"""

import difflib
import importlib.util
import logging
import os
import re
import shutil
from unittest.mock import patch

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from tests.support.paths import INI, REPO

SECRETS = ("s3cr3t-rabbit", "s3cr3t-db", "s3cr3t-keystone", "s3cr3t-metadata")


def _load(kind):
    spec = importlib.util.spec_from_file_location(
        f"openstack_config_{kind}", REPO / f"_{kind}" / "openstack_config.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


oc = _load("modules")
oc_state = _load("states")


@pytest.fixture
def configure_loader_modules():
    return {
        oc: {},
        oc_state: {
            "__salt__": {"openstack_config.apply": oc.apply},
            "__opts__": {"test": False},
        },
    }


@pytest.fixture
def nova(tmp_path):
    return pathlib_copy(INI / "nova.conf", tmp_path)


@pytest.fixture
def keystone(tmp_path):
    return pathlib_copy(INI / "keystone.conf", tmp_path)


def pathlib_copy(source, directory):
    target = directory / source.name
    shutil.copyfile(source, target)
    return target


def changed_lines(before, after):
    """The diff as (removed lines, added lines), each with its neighbours."""
    removed, added = [], []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).append(line[1:])
    return removed, added


def line_after(text, line, section=None):
    """The line following `line`: the only one, or the first in `section`."""
    lines = text.splitlines()
    if section is None:
        assert lines.count(line) == 1, line
        return lines[lines.index(line) + 1]
    return lines[lines.index(line, lines.index(f"[{section}]")) + 1]


def original(name):
    return (INI / name).read_text()


# -- reading -----------------------------------------------------------------


def test_get_reads_the_package_files(nova, keystone):
    assert oc.get(nova, "DEFAULT", "state_path") == "/var/lib/nova"
    assert oc.get(nova, "database", "connection") == "sqlite:////var/lib/nova/novadb"
    assert oc.get(nova, "keystone_authtoken", "auth_url") == "http://localhost:5000"
    assert oc.get(keystone, "DEFAULT", "log_dir") == "/var/log/keystone"
    assert oc.get(keystone, "oslo_policy", "policy_dirs") == "/etc/keystone/policy.d"


def test_get_follows_oslo_config(nova):
    # [DEFAULT] is not inherited by the other sections.
    assert oc.get(nova, "database", "state_path") is None
    # Keys are case-sensitive; commented-out examples are not values.
    assert oc.get(nova, "DEFAULT", "STATE_PATH") is None
    assert oc.get(nova, "DEFAULT", "my_ip") is None
    assert oc.get(nova, "no_such_section", "key") is None


def test_parsing_alone_changes_nothing(nova, keystone):
    # Every line of both files is understood, and nothing is rewritten.
    for path in (nova, keystone):
        assert oc.apply(path, {}) == {}
        assert path.read_text() == original(path.name)


# -- writing: only the lines asked for change --------------------------------


def test_set_existing_key_changes_that_line_only(nova):
    changes = oc.set_(nova, "DEFAULT", "state_path", "/srv/nova")
    assert changes == {"DEFAULT/state_path": {"old": "/var/lib/nova", "new": "/srv/nova"}}
    assert changed_lines(original("nova.conf"), nova.read_text()) == (
        ["state_path = /var/lib/nova"],
        ["state_path = /srv/nova"],
    )
    assert oc.get(nova, "DEFAULT", "state_path") == "/srv/nova"


def test_new_key_goes_after_its_commented_example(nova, keystone):
    oc.set_(nova, "DEFAULT", "my_ip", "10.0.0.11")
    oc.set_(keystone, "token", "provider", "fernet")
    text = nova.read_text()
    assert changed_lines(original("nova.conf"), text) == ([], ["my_ip = 10.0.0.11"])
    assert line_after(text, "#my_ip = <host_ipv4>") == "my_ip = 10.0.0.11"
    text = keystone.read_text()
    assert changed_lines(original("keystone.conf"), text) == ([], ["provider = fernet"])
    assert line_after(text, "#provider = fernet", section="token") == "provider = fernet"


def test_new_key_without_example_goes_after_the_last_key_of_its_section(nova):
    oc.set_(nova, "database", "x_custom", "1")
    text = nova.read_text()
    assert changed_lines(original("nova.conf"), text) == ([], ["x_custom = 1"])
    assert line_after(text, "connection = sqlite:////var/lib/nova/novadb") == "x_custom = 1"


def test_new_key_in_a_section_without_keys_goes_after_its_header(keystone):
    oc.set_(keystone, "trust", "x_custom", "1")
    text = keystone.read_text()
    assert changed_lines(original("keystone.conf"), text) == ([], ["x_custom = 1"])
    assert line_after(text, "[trust]") == "x_custom = 1"


def test_same_key_in_default_and_in_a_section(nova):
    oc.apply(
        nova,
        {
            "DEFAULT": {"transport_url": "rabbit://openstack:s3cr3t-rabbit@controller"},
            "oslo_messaging_notifications": {"transport_url": "rabbit://notify@controller"},
        },
    )
    assert oc.get(nova, "DEFAULT", "transport_url") == (
        "rabbit://openstack:s3cr3t-rabbit@controller"
    )
    assert oc.get(nova, "oslo_messaging_notifications", "transport_url") == (
        "rabbit://notify@controller"
    )
    text = nova.read_text()
    # Each after its own section's example.
    lines = text.splitlines()
    default = lines.index("transport_url = rabbit://openstack:s3cr3t-rabbit@controller")
    notifications = lines.index("transport_url = rabbit://notify@controller")
    assert lines[default - 1] == "#transport_url = rabbit://"
    assert lines[notifications - 1] == "#transport_url = <None>"
    assert lines.index("[DEFAULT]") < default < lines.index("[api]")
    assert lines.index("[oslo_messaging_notifications]") < notifications
    assert notifications < lines.index("[oslo_messaging_rabbit]")


def test_new_section_goes_at_the_end(keystone):
    oc.apply(keystone, {"x_new": {"a": "1", "b": True, "c": 2.5, "d": None}})
    text = keystone.read_text()
    assert text == original("keystone.conf") + "\n[x_new]\na = 1\nb = true\nc = 2.5\nd = \n"
    assert oc.get(keystone, "x_new", "d") == ""


def test_set_then_delete_gives_back_the_package_file(nova):
    oc.apply(nova, {"DEFAULT": {"my_ip": "10.0.0.11"}, "api": {"auth_strategy": "keystone"}})
    assert nova.read_text() != original("nova.conf")
    changes = oc.apply(nova, absent={"DEFAULT": ["my_ip"], "api": "auth_strategy"})
    assert changes == {
        "DEFAULT/my_ip": {"old": "10.0.0.11", "new": None},
        "api/auth_strategy": {"old": "keystone", "new": None},
    }
    assert nova.read_bytes() == (INI / "nova.conf").read_bytes()


def test_delete(nova):
    assert oc.delete(nova, "DEFAULT", "state_path") == {
        "DEFAULT/state_path": {"old": "/var/lib/nova", "new": None}
    }
    assert changed_lines(original("nova.conf"), nova.read_text()) == (
        ["state_path = /var/lib/nova"],
        [],
    )
    assert oc.get(nova, "DEFAULT", "state_path") is None
    assert oc.delete(nova, "DEFAULT", "state_path") == {}


def test_oslo_grammar_not_iniparse_defaults(nova):
    # Stock iniparse reads `rem...` lines as comments and cuts values at ` ;`.
    oc.apply(
        nova,
        {"image_cache": {"remove_unused_base_images": False}, "DEFAULT": {"x_semi": "a ;b"}},
    )
    assert oc.get(nova, "image_cache", "remove_unused_base_images") == "false"
    assert oc.get(nova, "DEFAULT", "x_semi") == "a ;b"
    assert oc.apply(nova, {"image_cache": {"remove_unused_base_images": "false"}}) == {}


def test_keeps_crlf_and_no_final_newline(tmp_path):
    path = tmp_path / "x.conf"
    path.write_bytes(b"[DEFAULT]\r\n# comment\r\na = 1\r\n\r\n[b]\r\nc = 2")
    oc.apply(path, {"DEFAULT": {"a": "9"}})
    assert path.read_bytes() == b"[DEFAULT]\r\n# comment\r\na = 9\r\n\r\n[b]\r\nc = 2"


def test_empty_file_and_file_without_final_newline(tmp_path):
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    oc.set_(empty, "DEFAULT", "debug", True)
    assert empty.read_text() == "[DEFAULT]\ndebug = true\n"
    bare = tmp_path / "bare.conf"
    bare.write_text("# only a comment")
    oc.set_(bare, "DEFAULT", "debug", True)
    assert bare.read_text() == "# only a comment\n\n[DEFAULT]\ndebug = true"


# -- repeated keys (oslo MultiStrOpt) ------------------------------------------


def test_multi_valued_option(nova):
    example = "#available_filters = nova.scheduler.filters.all_filters"
    changes = oc.set_(nova, "filter_scheduler", "available_filters", ["f.a", "f.b"])
    assert changes == {"filter_scheduler/available_filters": {"old": None, "new": ["f.a", "f.b"]}}
    text = nova.read_text()
    assert changed_lines(original("nova.conf"), text) == (
        [],
        ["available_filters = f.a", "available_filters = f.b"],
    )
    assert line_after(text, example) == "available_filters = f.a"
    assert oc.get(nova, "filter_scheduler", "available_filters") == ["f.a", "f.b"]

    # Longer: the values in place, the new one after the last.
    oc.set_(nova, "filter_scheduler", "available_filters", ["f.a", "f.c", "f.d"])
    assert changed_lines(original("nova.conf"), nova.read_text()) == (
        [],
        ["available_filters = f.a", "available_filters = f.c", "available_filters = f.d"],
    )
    # Shorter, then one value: the surplus lines go.
    oc.set_(nova, "filter_scheduler", "available_filters", ["f.d", "f.a"])
    assert oc.get(nova, "filter_scheduler", "available_filters") == ["f.d", "f.a"]
    oc.set_(nova, "filter_scheduler", "available_filters", "f.a")
    assert oc.get(nova, "filter_scheduler", "available_filters") == "f.a"
    assert changed_lines(original("nova.conf"), nova.read_text()) == (
        [],
        ["available_filters = f.a"],
    )
    # An empty list removes the key.
    oc.set_(nova, "filter_scheduler", "available_filters", [])
    assert nova.read_text() == original("nova.conf")


def test_repeated_keys_across_blocks_of_a_section(tmp_path):
    path = tmp_path / "x.conf"
    path.write_text(
        "[pci]\nalias = a\n# between\nalias = b\n\n[other]\nk = v\n\n[pci]\nalias = c\n"
    )
    assert oc.get(path, "pci", "alias") == ["a", "b", "c"]
    assert oc.set_(path, "pci", "alias", ["a", "b", "c"]) == {}
    oc.set_(path, "pci", "alias", ["a", "c"])
    assert path.read_text() == "[pci]\nalias = a\n# between\nalias = c\n\n[other]\nk = v\n\n[pci]\n"
    oc.set_(path, "pci", "alias", ["a", "c", "d"])
    assert path.read_text() == (
        "[pci]\nalias = a\n# between\nalias = c\nalias = d\n\n[other]\nk = v\n\n[pci]\n"
    )
    oc.delete(path, "pci", "alias")
    assert path.read_text() == "[pci]\n# between\n\n[other]\nk = v\n\n[pci]\n"


# -- masking -------------------------------------------------------------------


def test_module_masks_secrets_in_what_it_returns(nova):
    changes = oc.apply(
        nova,
        {
            "DEFAULT": {
                "transport_url": "rabbit://openstack:s3cr3t-rabbit@controller:5672/",
                "my_ip": "10.0.0.11",
            },
            "database": {"connection": "mysql+pymysql://nova:s3cr3t-db@controller/nova"},
            "keystone_authtoken": {"password": "s3cr3t-keystone"},
            "neutron": {"metadata_proxy_shared_secret": "s3cr3t-metadata"},
        },
    )
    assert changes == {
        "DEFAULT/transport_url": {
            "old": None,
            "new": "rabbit://openstack:******@controller:5672/",
        },
        "DEFAULT/my_ip": {"old": None, "new": "10.0.0.11"},
        "database/connection": {
            "old": "sqlite:////var/lib/nova/novadb",
            "new": "mysql+pymysql://nova:******@controller/nova",
        },
        "keystone_authtoken/password": {"old": None, "new": "******"},
        "neutron/metadata_proxy_shared_secret": {"old": None, "new": "******"},
    }
    # A password change alone is still reported, without the password.
    changes = oc.set_(nova, "database", "connection", "mysql+pymysql://nova:new@controller/nova")
    assert changes == {
        "database/connection": {
            "old": "mysql+pymysql://nova:******@controller/nova",
            "new": "****** (changed)",
        }
    }


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("transport_url", "rabbit://u:p1@h1:5672,u:p2@h2:5672/", "******"),
        ("transport_url", "rabbit://u:p@ss@h1/", "******"),
        ("transport_url", "rabbit://u:p/ss:x@h1/", "rabbit://u:******@h1/"),
        ("transport_url", "rabbit://guest@h1/", "rabbit://guest@h1/"),
        ("backend_argument", "url:redis://:pw@h1:6379", "url:redis://:******@h1:6379"),
        ("backend_url", "redis://:pw@h1:6379", "redis://:******@h1:6379"),
        ("connection", "sqlite:////var/lib/nova/novadb", "sqlite:////var/lib/nova/novadb"),
        ("memcache_secret_key", "abc", "******"),
        ("admin_token", "abc", "******"),
        ("PASSWORD", "abc", "******"),
        ("rbd_secret_uuid", ["a", "b"], ["******", "******"]),
        ("my_ip", "10.0.0.11", "10.0.0.11"),
    ],
)
def test_mask_rule(key, value, shown):
    assert oc._mask(key, value) == shown


# -- the state -------------------------------------------------------------------


SECRET_SECTIONS = {
    "DEFAULT": {
        "transport_url": "rabbit://openstack:s3cr3t-rabbit@controller",
        "enabled_apis": "osapi_compute,metadata",
        "my_ip": "10.0.0.11",
    },
    "database": {"connection": "mysql+pymysql://nova:s3cr3t-db@controller/nova"},
    "keystone_authtoken": {"password": "s3cr3t-keystone"},
    "filter_scheduler": {"available_filters": ["f.a", "f.b"]},
}


def assert_no_secret(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text)


def test_present_then_again(nova, caplog):
    caplog.set_level(logging.DEBUG)
    ret = oc_state.present(str(nova), SECRET_SECTIONS, absent={"DEFAULT": ["state_path"]})
    assert ret["result"] is True
    assert set(ret["changes"]) == {
        "DEFAULT/transport_url",
        "DEFAULT/enabled_apis",
        "DEFAULT/my_ip",
        "database/connection",
        "keystone_authtoken/password",
        "filter_scheduler/available_filters",
        "DEFAULT/state_path",
    }
    assert ret["changes"]["DEFAULT/state_path"] == {"old": "/var/lib/nova", "new": None}
    assert "DEFAULT/transport_url" in ret["comment"]
    assert "DEFAULT/transport_url" in caplog.text  # the log is captured
    assert_no_secret(ret, caplog.text)
    removed, added = changed_lines(original("nova.conf"), nova.read_text())
    assert removed == ["state_path = /var/lib/nova", "connection = sqlite:////var/lib/nova/novadb"]
    assert len(added) == 7

    # Second run: nothing to do, file not touched.
    os.utime(nova, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    ret = oc_state.present(str(nova), SECRET_SECTIONS, absent={"DEFAULT": ["state_path"]})
    assert ret == {
        "name": str(nova),
        "result": True,
        "comment": f"{nova}: options already as asked",
        "changes": {},
    }
    assert nova.stat().st_mtime_ns == 1_000_000_000_000_000_000


def test_present_test_mode_is_truthful_and_touches_nothing(nova):
    before = nova.stat().st_mtime_ns
    with patch.dict(oc_state.__opts__, {"test": True}):
        ret = oc_state.present(str(nova), SECRET_SECTIONS)
    assert ret["result"] is None
    assert ret["comment"].startswith(f"{nova}: would change DEFAULT/transport_url")
    assert_no_secret(ret)
    assert nova.read_text() == original("nova.conf")
    assert nova.stat().st_mtime_ns == before
    # What test mode announced is what a real run does.
    assert oc_state.present(str(nova), SECRET_SECTIONS)["changes"] == ret["changes"]
    with patch.dict(oc_state.__opts__, {"test": True}):
        ret = oc_state.present(str(nova), SECRET_SECTIONS)
    assert ret["result"] is True
    assert ret["changes"] == {}


def test_present_keeps_mode_owner_and_symlink(nova, tmp_path):
    nova.chmod(0o640)
    link = tmp_path / "link.conf"
    link.symlink_to(nova)
    if os.geteuid() == 0:
        os.chown(nova, 0, 65534)
    owner = (nova.stat().st_uid, nova.stat().st_gid)
    assert oc_state.present(str(link), {"DEFAULT": {"my_ip": "10.0.0.11"}})["result"] is True
    assert link.is_symlink()
    assert oc.get(nova, "DEFAULT", "my_ip") == "10.0.0.11"
    assert nova.stat().st_mode & 0o7777 == 0o640
    assert (nova.stat().st_uid, nova.stat().st_gid) == owner
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_absent_state(keystone):
    ret = oc_state.absent(str(keystone), {"DEFAULT": ["log_file", "not_set"]})
    assert ret["result"] is True
    assert ret["changes"] == {"DEFAULT/log_file": {"old": "keystone.log", "new": None}}
    assert oc_state.absent(str(keystone), {"DEFAULT": ["log_file"]})["changes"] == {}


def test_present_missing_file(tmp_path):
    ret = oc_state.present(str(tmp_path / "nova.conf"), {"DEFAULT": {"debug": True}})
    assert ret["result"] is False
    assert ret["comment"] == f"{tmp_path / 'nova.conf'}: no such file"
    assert not (tmp_path / "nova.conf").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "connection = mysql://u:s3cr3t-db@h/db\n[DEFAULT]\n",
            "malformed INI: line 1: option 'connection' before any section header",
        ),
        ("# ok\n[DEFAULT]\na = 1\n[database\nb = 2\n", "line 4: section header not terminated"),
        ("[DEFAULT] # no\n", "line 1: section header not terminated"),
        ("[DEFAULT]\n  indented\n", "line 2: continuation line without an option"),
        ("[DEFAULT]\njust words\n", "line 2: expected 'key = value'"),
        ("[DEFAULT]\n" + "x\n" * 7, "line 2: .*line 6: .* and 2 more$"),
    ],
)
def test_malformed_ini(tmp_path, text, message):
    path = tmp_path / "bad.conf"
    path.write_text(text)
    with pytest.raises(CommandExecutionError, match=message) as exc:
        oc.get(path, "DEFAULT", "a")
    assert str(path) in str(exc.value)
    assert_no_secret(exc.value)
    ret = oc_state.present(str(path), {"DEFAULT": {"a": "2"}})
    assert ret["result"] is False
    assert re.search(message, ret["comment"])
    assert path.read_text() == text


@pytest.mark.parametrize(
    ("sections", "absent", "message"),
    [
        ({"DEFAULT": ["a"]}, None, "options must be a mapping"),
        ({"DEFAULT": {"a": {"b": 1}}}, None, "a value must be a string"),
        ({"DEFAULT": {"a": "x\ny"}}, None, "multi-line values are not supported"),
        ({"DEFAULT": {"[a": "1"}}, None, "invalid option name"),
        ({"DEFAULT": {"a=b": "1"}}, None, "invalid option name"),
        ({"DE]F": {"a": "1"}}, None, "invalid section name"),
        ({"DEFAULT": {"a": "1"}}, {"DEFAULT": ["a"]}, "both set and absent"),
        (None, {"DEFAULT": {"a": 1}}, "absent options must be a list"),
    ],
)
def test_bad_arguments(nova, sections, absent, message):
    with pytest.raises(SaltInvocationError, match=message):
        oc.apply(nova, sections, absent)
    ret = oc_state.present(str(nova), sections, absent=absent)
    assert ret["result"] is False
    assert message in ret["comment"]
    assert nova.read_text() == original("nova.conf")


def test_virtual_without_iniparse():
    with patch.object(oc, "HAS_INIPARSE", False):
        result = oc.__virtual__()
    assert result[0] is False
    assert "iniparse" in result[1]
    assert oc.__virtual__() == "openstack_config"
