"""Steps the browser tests share: logging in with the keyboard, choosing options, waiting
for a task's run on an entity's page, running a task (through its dialog when it asks first),
adding the private Apache + MariaDB as a server and Debian's WordPress as a platform, and
asking the private Apache for a domain's front page."""

from __future__ import annotations

import http.client
import re
from typing import Any
from urllib.parse import urljoin

from tests.browser.conftest import Panel
from tests.fixtures.platforms import make_wordpress_platform

TASK_SECONDS = 120_000  # Playwright's timeouts are in milliseconds


def watch_problems(page: Any, panel: Panel) -> None:
    """Collect in ``page.problems`` the panel's script errors, console errors and failed
    requests. A request the browser drops because it leaves the page (net::ERR_ABORTED: an
    open event stream, a script still loading) is not a problem, nor is anything on a site's
    own pages (a site's login link leads there)."""
    page.problems = []

    def failed(request: Any) -> None:
        if request.url.startswith(panel.url) and request.failure != "net::ERR_ABORTED":
            page.problems.append(f"failed: {request.url} ({request.failure})")

    def console(message: Any) -> None:
        source = str(message.location.get("url") or "")
        # Chromium asks /favicon.ico for documents that cannot name an icon (the API's JSON);
        # the panel's pages name theirs.
        if source.endswith("/favicon.ico"):
            return
        if message.type == "error" and page.url.startswith(panel.url):
            page.problems.append(f"console: {message.text} ({source} on {page.url})")

    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}")
            if page.url.startswith(panel.url) else None)
    page.on("console", console)
    page.on("requestfailed", failed)


def log_in(page: Any, panel: Panel, username: str, password: str) -> None:
    """Log in through the login form with the keyboard only."""
    page.goto(f"{panel.url}/login")
    page.locator("#username").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect()(page.locator(".user-name")).to_have_text(username)


def expect() -> Any:
    """Playwright's ``expect``."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def choose(page: Any, select: str, text: str) -> None:
    """Choose the option of ``select`` whose label contains ``text``."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value)


def served(panel: Panel, host: str) -> int:
    """The status the private Apache answers for ``host``'s front page."""
    connection = http.client.HTTPConnection("127.0.0.1", panel.apache.port, timeout=15)
    try:
        connection.request("GET", "/", headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


def wait_for_last_run(page: Any, entity_url: str, task_title: str) -> None:
    """Open the newest run of ``task_title`` from the entity's page and wait for its success
    on the task page (whose badge the live log keeps up to date)."""
    page.goto(entity_url)
    row = page.locator("table.tasks-table tr", has=page.locator(
        ".task-name", has_text=re.compile(f"^{task_title}$")))
    # Followed by its address, not clicked: the page's live script may replace the table
    # (a task of the entity ends) in the instant of a click, which then lands beside the link.
    page.goto(urljoin(entity_url, row.locator(".last-run a").get_attribute("href")))
    expect()(page.locator("#task-status")).to_have_attribute(
        "data-status", "success", timeout=TASK_SECONDS)


def run_task(page: Any, entity_url: str, task_title: str) -> None:
    """Press Run for ``task_title`` on the entity's page, confirm in the dialog when the task
    asks first (with the keyboard), and wait until it has succeeded."""
    page.goto(entity_url)
    row = page.locator("table.tasks-table tr", has=page.locator(
        ".task-name", has_text=re.compile(f"^{task_title}$")))
    run = row.locator("a[data-dialog-url], button", has_text="Run").first
    asks_first = run.get_attribute("data-dialog-url") is not None
    run.click()
    if asks_first:
        dialog = page.locator("dialog[open]")
        expect()(dialog).to_be_visible()
        dialog.locator("button[type=submit], input[type=submit]").first.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
    page.wait_for_load_state()
    wait_for_last_run(page, entity_url, task_title)


def add_server(page: Any, panel: Panel, hostname: str, human_name: str) -> str:
    """Add the private Apache and the machine's MariaDB as a server through its form; wait
    for its verify; the server page's address."""
    admin, apache = panel.admin, panel.apache
    page.goto(f"{panel.url}/servers/add")
    for field, value in {"#hostname": hostname, "#human_name": human_name,
                         "#ip_addresses": "127.0.0.1", "#http_port": str(apache.port),
                         "#http_restart_cmd": apache.restart_cmd,
                         "#http_configtest_cmd": apache.configtest_cmd,
                         "#http_include_dir": str(apache.include_dir),
                         "#db_host": admin.host, "#db_port": str(admin.port),
                         "#db_user": admin.user, "#db_password": admin.password}.items():
        page.fill(field, value)
    page.select_option("#http_type", "apache")
    page.select_option("#db_type", "mysql")
    page.get_by_role("button", name="Add server").click()
    expect()(page.locator("h1")).to_contain_text(hostname)
    server_url = str(page.url)
    wait_for_last_run(page, server_url, "Verify")
    return server_url


def add_wordpress_platform(page: Any, panel: Panel, name: str, server_title: str) -> str:
    """Add a copy of Debian's WordPress as a platform on the server; wait for its verify; the
    platform page's address."""
    codebase = make_wordpress_platform(panel.root / "platforms" / name)
    page.goto(f"{panel.url}/platforms/add")
    page.fill("#name", name)
    page.fill("#root", str(codebase))
    choose(page, "#web_server", server_title)
    page.get_by_role("button", name=re.compile("Add platform")).click()
    platform_url = str(page.url)
    wait_for_last_run(page, platform_url, "Verify")
    return platform_url
