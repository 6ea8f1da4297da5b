"""
Render tests: the state tree rendered by masterless minions
(tests/support/render.py) for each OS family and test pillar.
"""

import pytest

from tests.support.render import Minions


@pytest.fixture(scope="module")
def minion(tmp_path_factory):
    """minion(pillar, family, id, container=False) -> a salt.client.Caller."""
    return Minions(tmp_path_factory)
