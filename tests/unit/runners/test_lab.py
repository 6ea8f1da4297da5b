"""
The lab runner's entry points (``_runners/lab.py``) that need no root:
``lab.access``, the lines ``make lab`` ends with. Each command it prints
names an orchestration this tree has.
"""

import pytest

from tests.support.paths import REPO, SALT
from tests.support.pillars import load_extension


@pytest.fixture
def lab(monkeypatch, tmp_path):
    """The runner as Salt loads it (``_runners`` on the path, for ``_lab``),
    with the running lab's settings as ``lab.up`` saves them."""
    monkeypatch.syspath_prepend(str(REPO / "_runners"))
    module = load_extension("_runners", "lab")
    saved = {
        "machines": {"controller": {}, "compute1": {}, "compute2": {}},
        "public_ip": "198.51.100.161",
        "netns": "oslab",
    }
    monkeypatch.setattr(module.settings, "saved", lambda opts, where: saved)
    module.__opts__ = {
        "root_dir": str(tmp_path),
        "conf_file": str(tmp_path / "master"),
        "pki_dir": str(tmp_path / "pki"),
    }
    return module


RUN = ".venv/bin/salt-run --state-output=full state.orchestrate "


def test_access_says_how_to_check_and_audit_the_cloud(lab):
    lines = lab.access().splitlines()
    assert lines[0].startswith("The lab's hosts: compute1, compute2, controller (")
    assert "https://198.51.100.161/" in lines[3] and "namespace oslab" in lines[3]
    labels = [line.split(":", 1)[0] for line in lines]
    check = labels.index("Check the cloud")
    assert labels[check + 1] == "Audit it"
    commands = [line.split(":", 1)[1].strip() for line in lines[check : check + 2]]
    assert commands == [RUN + "openstack.verify", RUN + "openstack.audit"]
    for command in commands:
        name = command.rsplit(" ", 1)[1]
        assert (SALT / (name.replace(".", "/") + ".sls")).is_file(), name
    # the two commands start in one column
    assert lines[check].index(".venv") == lines[check + 1].index(".venv")
