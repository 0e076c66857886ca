"""The real panel for browser tests: gunicorn and the dispatcher daemon as processes on a fresh
SQLite store, a private Apache and the machine's MariaDB behind it, and Debian's Chromium
driven by Playwright (it never downloads a browser of its own).

``--update-screenshots`` writes the screenshots into docs/screenshots/ (else into
tests/browser/_screenshots/, which git ignores; ``HOSTMASTER_SCREENSHOTS`` names another folder).

The store starts with its mail going to the local SMTP server and a public address, unless
the test module says otherwise with ``INITIAL_SETTINGS`` (setting name → value; the SMTP
server's port is there as ``MAILBOX_PORT``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.stack_apache import ApacheInstance, running_apache
from tests.fixtures.stack_process import (
    free_port,
    make_traversable_dir,
    port_answers,
    remove_tree,
    stop_processes,
    wait_until,
)
from tests.hostmaster.site_helpers import Mailbox, start_mailbox

CHROMIUM = Path("/usr/bin/chromium")
PROJECT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "browser-tests-password-42"
PUBLIC_URL = "http://panel.browser.test"
MAILBOX_PORT = "<the local SMTP server's port>"
#: The settings a store starts with, unless the test module has INITIAL_SETTINGS.
DEFAULT_SETTINGS = {"smtp_host": "127.0.0.1", "smtp_port": MAILBOX_PORT,
                    "mail_from": "hostmaster@example.com", "public_url": PUBLIC_URL}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-screenshots", action="store_true",
                     help="write the browser tests' screenshots into docs/screenshots/")


@dataclass
class Panel:
    """The running panel: its address, its store, its aegir root and the web server it uses."""

    url: str
    root: Path
    env: dict[str, str]
    apache: ApacheInstance
    admin: MariaDBAdmin
    screenshots: Path
    mailbox: Mailbox
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def hostmaster(self, *words: str) -> str:
        """Run the hostmaster command against the panel's store; its output."""
        done = subprocess.run([str(Path(sys.executable).parent / "hostmaster"), *words],
                              env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def shot(self, page: Any, name: str) -> None:
        """Save a screenshot of ``page`` as ``<name>.png``."""
        page.screenshot(path=str(self.screenshots / f"{name}.png"))


def _chromium_or_fail() -> None:
    if not CHROMIUM.is_file():
        message = "Chromium is not installed: run `make test` (contrib/stack/install.sh test)."
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def panel(request: pytest.FixtureRequest, stack_base_dir: Path,
          mariadb_admin: MariaDBAdmin) -> Iterator[Panel]:
    """gunicorn + dispatcher daemon on a fresh store, with a private Apache for its sites."""
    _chromium_or_fail()
    base = make_traversable_dir(stack_base_dir, "browser-")
    root = make_traversable_dir(base, "aegir-")
    port = free_port()
    env = {**os.environ,
           "HOSTMASTER_DATABASE_URL": f"sqlite:///{base / 'store.db'}",
           "HOSTMASTER_VAR_DIR": str(base / "var"),
           "HOSTMASTER_SECRET_KEY": "browser-tests-only",
           "AEGIR_ROOT": str(root),
           "HOSTMASTER_HOST": "127.0.0.1", "HOSTMASTER_PORT": str(port),
           "HOSTMASTER_POLL_SECONDS": "0.2"}
    if request.config.getoption("--update-screenshots"):
        screenshots = PROJECT / "docs" / "screenshots"
    else:
        screenshots = Path(os.environ.get("HOSTMASTER_SCREENSHOTS")
                           or PROJECT / "tests" / "browser" / "_screenshots")
    screenshots.mkdir(parents=True, exist_ok=True)
    mail, smtp = start_mailbox()  # the welcome mail goes to a real local SMTP server
    request.addfinalizer(smtp.stop)
    initial = getattr(request.module, "INITIAL_SETTINGS", DEFAULT_SETTINGS)
    _make_store(env, {name: mail.port if value == MAILBOX_PORT else value
                      for name, value in initial.items()})
    bindir = Path(sys.executable).parent
    with running_apache(stack_base_dir) as apache:
        made = Panel(f"http://127.0.0.1:{port}", root, env, apache, mariadb_admin, screenshots,
                     mail)
        logs = base / "logs"
        logs.mkdir()
        try:
            for name, argv in (
                    ("dispatcher", [str(bindir / "hostmaster"), "dispatch", "--daemon"]),
                    ("gunicorn", [str(bindir / "gunicorn"), "--workers", "2", "--worker-class",
                                  "gthread", "--threads", "8", "--bind", f"127.0.0.1:{port}",
                                  "hostmaster.wsgi:app"])):
                with (logs / f"{name}.log").open("wb") as log:
                    made.processes.append(subprocess.Popen(
                        argv, env=env, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT))
            wait_until(lambda: port_answers(port), "gunicorn did not start: "
                       + (logs / "gunicorn.log").read_text(errors="replace"), 30)
            yield made
        finally:
            pids = [process.pid for process in made.processes]
            stop_processes(pids, pids)
            for process in made.processes:
                process.wait(timeout=30)
            _drop_site_databases(mariadb_admin)
    remove_tree(base)


def _make_store(env: dict[str, str], initial: dict[str, Any]) -> None:
    """Migrations, roles, the ``initial`` settings and the admin account, as `hostmaster
    bootstrap` makes them (without registering this machine's own Apache as the master: the
    tests use a private one)."""
    script = (
        "from flask_migrate import upgrade\n"
        "from hostmaster import create_app\n"
        "from hostmaster.extensions import db\n"
        "from hostmaster.services import permissions, settings, users\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    upgrade()\n"
        "    permissions.seed_roles()\n"
        f"    settings.save({initial!r})\n"
        f"    users.create_user('admin', 'admin@example.com', {ADMIN_PASSWORD!r},\n"
        "                      roles=['administrator'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def _drop_site_databases(admin: MariaDBAdmin) -> None:
    connection = admin.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW DATABASES LIKE 'blogbrowser%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP DATABASE `{name}`")
            cursor.execute("SELECT User, Host FROM mysql.user WHERE User LIKE 'blogbrowser%'")
            for user, host in cursor.fetchall():
                cursor.execute("DROP USER %s@%s", (user, host))
    finally:
        connection.close()


@pytest.fixture(scope="module")
def browser(panel: Panel) -> Iterator[Any]:
    """Debian's Chromium, headless (Playwright gives it a fresh profile), with the test sites'
    domains mapped to the private Apache."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  f"--host-resolver-rules=MAP *.browser.test 127.0.0.1:{panel.apache.port}"])
        try:
            yield launched
        finally:
            launched.close()
