"""Fixtures for the whole suite; they live in tests/fixtures/ and are imported here."""

import pytest

from tests.fixtures.app import *  # noqa: F403
from tests.fixtures.hostile import hostile_tally, session_tally  # noqa: F401
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The hostile corpus's tally (tests/fixtures/hostile.py), when a test tried it."""
    tally = session_tally()
    if not tally.tried:
        return
    terminalreporter.section("hostile corpus")
    terminalreporter.write_line(tally.line())
    for harm in tally.harmful[:50]:
        terminalreporter.write_line(f"  harmful: {harm}")
