"""
Tests that need what this machine may lack (root, nft, glusterd, Open
vSwitch): skipped here when it is missing, failed under CI (``CI`` set),
where they must run.
"""

import os

import pytest


def skip_or_fail(what, reason):
    """Skip the test (or module) for ``reason``; under CI fail it instead:
    ``CI must run <what>: <reason>``."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run {what}: {reason}")
    pytest.skip(reason)
