"""Fixtures for the whole suite; they live in tests/fixtures/ and are imported here."""

import pytest

from tests.fixtures.app import *  # noqa: F403
from tests.fixtures.console import console  # noqa: F401
from tests.fixtures.platforms import *  # noqa: F403
from tests.fixtures.remote_hosts import remote_network  # noqa: F401
from tests.fixtures.stack import *  # noqa: F403
from tests.fixtures.store_dumps import scratch_store_url  # noqa: F401
from tests.fixtures.tcp_proxy import store_proxy  # noqa: F401


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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures tests reported (tests/fixtures/summary.py)."""
    from tests.fixtures.summary import reported

    lines = reported()
    if lines:
        terminalreporter.section("figures reported by the tests")
        for line in lines:
            terminalreporter.write_line(line)
