"""
Unit tests: the project's custom Salt modules loaded straight from
``_modules``/``_states``/``_runners`` and driven through pytest-salt-factories'
``configure_loader_modules`` with real inputs. Shared fixtures go here.
"""

import pytest

from tests.support.gluster import FakeGluster
from tests.support.paths import REPO
from tests.support.pillars import load_extension


@pytest.fixture(scope="session")
def extension():
    """
    ``extension("_modules", "gluster")``: load one of the project's modules,
    with ``_utils`` on ``sys.path`` while it is imported, as Salt's loader has
    its utils directories (``import keystone_api``).
    """

    def load(kind, name):
        with pytest.MonkeyPatch.context() as patch:
            patch.syspath_prepend(str(REPO / "_utils"))
            return load_extension(kind, name)

    return load


@pytest.fixture
def fake():
    """The gluster CLI the gluster modules call, answering from captures."""
    return FakeGluster()


@pytest.fixture
def gluster(extension):
    """The gluster execution module (its state module's unit tests use it too)."""
    return extension("_modules", "gluster")
