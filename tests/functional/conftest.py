"""
Functional tests: the project's custom execution and state modules run by
Salt's real loader (``saltfactories.utils.functional.Loaders``), straight
from ``_modules``/``_states``/``_utils`` (no sync), against real local services the
tests start themselves.

Fixtures here are shared by every functional test module; a test module
that needs other minion options overrides ``minion_overrides``.
"""

import pytest
from saltfactories.utils.functional import Loaders

from tests.support.paths import REPO


@pytest.fixture(scope="module")
def minion_overrides():
    """Extra minion options for one test module (override it there)."""
    return {}


@pytest.fixture(scope="module")
def state_tree(tmp_path_factory):
    """An empty file_roots of the test minion (the project's tree has its own render tests)."""
    return tmp_path_factory.mktemp("state-tree")


@pytest.fixture(scope="module")
def minion_opts(salt_factories, minion_overrides, state_tree):
    overrides = {
        "file_client": "local",
        "file_roots": {"base": [str(state_tree)]},
        "module_dirs": [str(REPO / "_modules")],
        "states_dirs": [str(REPO / "_states")],
        "utils_dirs": [str(REPO / "_utils")],
        **minion_overrides,
    }
    factory = salt_factories.salt_minion_daemon("functional-minion", overrides=overrides)
    return factory.config.copy()


@pytest.fixture(scope="module")
def loaders(minion_opts):
    return Loaders(minion_opts)


@pytest.fixture(autouse=True)
def reset_loaders_state(request):
    """Fresh __context__ and cache for each test that uses the loaders."""
    if "loaders" not in request.fixturenames:
        yield
        return
    loaders = request.getfixturevalue("loaders")
    try:
        yield
    finally:
        loaders.reset_state()
