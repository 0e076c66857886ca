"""The panel in a real browser (Debian's Chromium through Playwright), against the real app
(gunicorn), the real dispatcher daemon, a private Apache, MariaDB and Debian's WordPress:
log in with the keyboard; add a server, a platform and a site through their forms; watch the
install's log arrive live; follow the one-time login link; disable, enable and delete the site.
Screenshots of the main pages are saved on the way (tests/browser/conftest.py)."""

from __future__ import annotations

import http.client
import re
from typing import Any

import pytest

from tests.browser.conftest import ADMIN_PASSWORD, Panel
from tests.fixtures.platforms import make_wordpress_platform

DOMAIN = "blog.browser.test"
TASK_SECONDS = 120_000  # Playwright's timeouts are in milliseconds


@pytest.fixture(scope="module")
def page(browser: Any, panel: Panel) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.problems = []  # page errors and failed requests, checked by the page test
    opened.on("pageerror", lambda error: opened.problems.append(f"page error: {error}"))
    opened.on("console", lambda message: opened.problems.append(f"console: {message.text}")
              if message.type == "error" else None)
    opened.on("requestfailed", lambda request: opened.problems.append(
        f"failed: {request.url}") if request.url.startswith(panel.url) else None)
    yield opened
    context.close()


def expect() -> Any:
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
    row.locator(".last-run a").click()
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


def test_an_admin_builds_a_site_and_watches_its_install_live(page: Any, panel: Panel) -> None:
    check = expect()
    # Log in with the keyboard only.
    page.goto(f"{panel.url}/login")
    page.locator("#username").focus()
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    check(page.locator(".user-name")).to_have_text("admin")

    # A server with the private Apache and the machine's MariaDB.
    admin, apache = panel.admin, panel.apache
    page.goto(f"{panel.url}/servers/add")
    for field, value in {"#hostname": "web1.example.com", "#human_name": "Web one",
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
    check(page.locator("h1")).to_contain_text("web1.example.com")
    server_url = page.url
    wait_for_last_run(page, server_url, "Verify")

    # A platform on Debian's WordPress.
    codebase = make_wordpress_platform(panel.root / "platforms" / "wordpress")
    page.goto(f"{panel.url}/platforms/add")
    page.fill("#name", "wordpress")
    page.fill("#root", str(codebase))
    choose(page, "#web_server", "Web one")
    page.get_by_role("button", name=re.compile("Add platform")).click()
    platform_url = page.url
    wait_for_last_run(page, platform_url, "Verify")

    # The site; its install is watched live from the moment it is queued.
    panel.hostmaster("pause")
    page.goto(f"{panel.url}/sites/add")
    page.fill("#uri", DOMAIN)
    choose(page, "#platform", "wordpress")
    choose(page, "#db_server", "Web one")
    page.get_by_role("button", name=re.compile("Add site|Create site|Add")).last.click()
    check(page.locator("h1")).to_contain_text(DOMAIN)
    site_url = page.url
    row = page.locator("table.tasks-table tr", has=page.locator(".task-name", has_text="Install"))
    if not row.locator(".last-run a").count():
        page.locator("#queues .queue-item a", has_text=DOMAIN).first.click()
    else:
        row.locator(".last-run a").click()
    check(page.locator("#task-status")).to_have_attribute("data-status", "queued")
    page.evaluate("""() => {
        window.kept = "the page was not reloaded";
        window.seen = [];
        const log = document.querySelector("#task-log");
        new MutationObserver(() => window.seen.push([
            log.querySelectorAll("li.log-line").length,
            document.querySelector("#task-status").dataset.status,
        ])).observe(log, {childList: true});
    }""")
    panel.hostmaster("resume")
    page.wait_for_function("""() => {
        const status = document.querySelector("#task-status").dataset.status;
        const lines = document.querySelectorAll("#task-log li.log-line").length;
        return (status === "processing" && lines >= 8) || status === "success"
            || status === "error";
    }""", timeout=TASK_SECONDS)
    if page.locator("#task-status").get_attribute("data-status") == "processing":
        panel.shot(page, "task-log")
    check(page.locator("#task-status")).to_have_attribute(
        "data-status", "success", timeout=TASK_SECONDS)
    seen = page.evaluate("window.seen")
    assert any(status in ("queued", "processing") and count > 0 for count, status in seen), seen
    assert page.evaluate("window.kept") == "the page was not reloaded"
    check(page.locator("#task-status")).to_have_text(re.compile("Success", re.I))
    assert served(panel, DOMAIN) == 200

    page.goto(site_url)
    panel.shot(page, "site")
    page.goto(f"{panel.url}/")
    panel.shot(page, "dashboard")
    page.goto(f"{panel.url}/sites")
    check(page.get_by_role("link", name=DOMAIN, exact=True)).to_be_visible()
    panel.shot(page, "sites")
    page.goto(server_url)
    panel.shot(page, "server")

    # The one-time login link leads to WordPress's own new-password form.
    page.goto(site_url)
    page.get_by_role("link", name=f"Log in to {DOMAIN}").click()
    check(page.locator("#pass1")).to_be_visible(timeout=30_000)
    assert DOMAIN in page.url

    # Disable (visitors are sent to the panel), enable, then disable again and delete.
    run_task(page, site_url, "Disable")
    assert served(panel, DOMAIN) == 302
    run_task(page, site_url, "Enable")
    assert served(panel, DOMAIN) == 200
    run_task(page, site_url, "Disable")
    run_task(page, site_url, "Delete")
    page.goto(f"{panel.url}/sites")
    check(page.get_by_role("link", name=DOMAIN, exact=True)).to_have_count(0)
    assert served(panel, DOMAIN) == 404
    assert not list(panel.root.glob(f"config/*/apache/vhost.d/{DOMAIN}*"))


def test_the_main_pages_load_without_script_errors_or_failed_requests(
        page: Any, panel: Panel) -> None:
    page.problems.clear()
    for path in ("/", "/sites", "/platforms", "/servers", "/tasks", "/clients", "/queues",
                 "/admin", "/admin/permissions", "/admin/features", "/account",
                 "/sites?sort=status&dir=desc", "/tasks?status=success"):
        response = page.goto(f"{panel.url}{path}")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
    first_task = page.locator("table.table td a[href^='/tasks/']").first
    page.goto(f"{panel.url}/tasks")
    page.locator("table.table td a[href^='/tasks/']").first.click()
    page.wait_for_load_state("networkidle")
    assert first_task is not None
    assert page.problems == []
