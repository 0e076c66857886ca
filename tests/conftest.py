"""Fixtures for the whole suite; they live in tests/fixtures/ and are imported here."""

from tests.fixtures.app import *  # noqa: F403
from tests.fixtures.platforms import *  # noqa: F403
from tests.fixtures.stack import *  # noqa: F403
