"""
Unit tests: the project's custom Salt modules loaded straight from
``_modules``/``_states``/``_runners`` and driven through pytest-salt-factories'
``configure_loader_modules`` with real inputs. Shared fixtures go here.
"""

import importlib.util

import pytest
from pillars import REPO


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


@pytest.fixture(scope="session")
def extension():
    """``extension("_modules", "gluster")``: load one of the project's modules."""
    return load_extension
