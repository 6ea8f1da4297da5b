"""This machine's side of the lab (``_runners/_lab/system.py``), without root."""

import os
import stat

import pytest
from salt.exceptions import CommandExecutionError

from _runners._lab import system
from tests.lab.labkit import PROJECT


def test_missing_packages():
    assert system.missing_packages(lambda tool: "/usr/bin/" + tool) == []
    assert system.missing_packages(lambda tool: None) == sorted(set(system.HOST_TOOLS.values()))
    only_ip = system.missing_packages(lambda tool: None if tool == "ip" else "/x")
    assert only_ip == ["iproute2"]


def test_run_names_the_command_and_its_error():
    with pytest.raises(CommandExecutionError, match=r"`sh -c echo oops >&2; exit 3` failed \(3\)"):
        system.run(["sh", "-c", "echo oops >&2; exit 3"])
    assert system.run(["sh", "-c", "exit 3"], check=False).returncode == 3
    assert system.ok(["true"]) and not system.ok(["false"])


def test_write_makes_the_directory_and_sets_the_mode(tmp_path):
    path = tmp_path / "a" / "b" / "key"
    system.write(str(path), "secret\n", 0o400)
    assert path.read_text() == "secret\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o400


def test_paths_of_the_checkout():
    assert system.PROJECT == PROJECT
    for script in ("build-rootfs.sh", "netns-exec.sh", "attach.sh"):
        assert os.access(system.lab_script(script), os.X_OK), script
    assert os.access(system.lab_script("guest", "build.sh"), os.X_OK)
    assert os.path.basename(system.salt_bin("salt-master")) == "salt-master"
