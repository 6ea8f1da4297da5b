"""Helpers shared by the test tiers: ``from tests.support import pillars``."""
