"""Fixtures for the whole suite; they live in tests/fixtures/ and are imported here.

The resolver guard (tests/fixtures/resolver_guard.py) is on for the whole session, in this
process and in every Python process the tests start: a test that makes anything resolve a
name that would leave the machine fails, naming it.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from provision.aegir_user import ALLOW_ROOT_VARIABLE
from tests.fixtures import resolver_guard
from tests.fixtures.app import *  # noqa: F403
from tests.fixtures.console import console  # noqa: F401
from tests.fixtures.drupal_core import *  # noqa: F403
from tests.fixtures.drupal_core import real_core_summary
from tests.fixtures.hostile import hostile_tally  # noqa: F401
from tests.fixtures.platforms import *  # noqa: F403
from tests.fixtures.remote_hosts import remote_network  # noqa: F401
from tests.fixtures.schedule import longest_first
from tests.fixtures.stack import *  # noqa: F403
from tests.fixtures.store_dumps import scratch_store_url  # noqa: F401
from tests.fixtures.summary import figure, reported_figures  # noqa: F401
from tests.fixtures.tcp_proxy import store_proxy  # noqa: F401


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--real-drupal PATH``: also run the real-driver site test on that Drupal core folder."""
    parser.addoption(
        "--real-drupal",
        action="append",
        dest="real_drupal",
        default=[],
        metavar="PATH",
        help="another Drupal core folder (7, or 8+ with vendor/) for tests/provision/"
        "test_site_real_drivers.py, beside the cores of ../shared/data/drupal",
    )


# The suite's private web servers, aegir roots and stores belong to root, so provision and
# hostmaster may run as root here; tests/test_make_run.py runs them as the aegir user.
os.environ[ALLOW_ROOT_VARIABLE] = "1"

# Child processes (provision started by the dispatcher, the CLIs the tests run) import the code
# of this checkout, as the tests do: a venv that several git worktrees share has its editable
# install pointing at one of them, and a test would otherwise run another worktree's provision.
PROJECT_ROOT = str(Path(__file__).resolve().parents[1])
os.environ["PYTHONPATH"] = ":".join(dict.fromkeys(
    [PROJECT_ROOT, *filter(None, os.environ.get("PYTHONPATH", "").split(":"))]))

GUARD = pytest.StashKey[resolver_guard.Guard]()


def pytest_configure(config: pytest.Config) -> None:
    """Switch the resolver guard on before any test runs."""
    config.stash[GUARD] = resolver_guard.start()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest test files first, so that no worker ends the run alone on one
    (tests/fixtures/schedule.py)."""
    longest_first(items)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the guard's log file."""
    if GUARD in config.stash:
        config.stash[GUARD].stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on real Drupal core, and the figures tests reported (so CI's
    log shows them, whichever worker ran the tests)."""
    terminalreporter.write_line(real_core_summary(terminalreporter.stats))
    for line in reported_figures(terminalreporter.stats):
        terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def no_name_leaves_the_machine(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if it (or a process it started) asked to resolve a name off the machine."""
    guard = request.config.stash[GUARD]
    mark = guard.mark()
    yield
    refused = guard.refusals_since(mark)
    if refused:
        pytest.fail(
            "The test tried to resolve names that would leave the machine (refused by "
            f"{resolver_guard.__name__}):\n" + "\n".join(refused),
            pytrace=False,
        )
