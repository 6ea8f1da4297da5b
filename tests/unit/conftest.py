"""
Unit tests: the project's custom Salt modules loaded straight from
``_modules``/``_states``/``_runners`` and driven through pytest-salt-factories'
``configure_loader_modules`` with real inputs. Shared fixtures go here.
"""

import pytest
from pillars import load_extension


@pytest.fixture(scope="session")
def extension():
    """``extension("_modules", "gluster")``: load one of the project's modules."""
    return load_extension
