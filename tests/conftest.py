"""Fixtures for the whole suite; they live in tests/fixtures/ and are imported here."""

import pytest

from tests.fixtures.app import *  # noqa: F403
from tests.fixtures.console import console  # noqa: F401
from tests.fixtures.platforms import *  # noqa: F403
from tests.fixtures.remote_hosts import remote_network  # noqa: F401
from tests.fixtures.stack import *  # noqa: F403


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--real-drupal PATH``: also run the real-driver site test on that Drupal core folder."""
    parser.addoption(
        "--real-drupal",
        action="append",
        dest="real_drupal",
        default=[],
        metavar="PATH",
        help="a real Drupal core folder (7, or 8+ with vendor/) for tests/provision/"
        "test_site_real_drivers.py; real core is in no registry, so the suite has none",
    )
