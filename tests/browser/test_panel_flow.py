"""The panel in a real browser (Debian's Chromium through Playwright), against the real app
(gunicorn), the real dispatcher daemon, a private Apache, MariaDB and Debian's WordPress:
log in with the keyboard; add a server, a platform and a site through their forms; watch the
install's log arrive live; follow the one-time login link; disable, enable and delete the site.
Screenshots of the main pages are saved on the way (tests/browser/conftest.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import ADMIN_PASSWORD, Panel
from tests.browser.steps import (
    TASK_SECONDS,
    add_server,
    add_wordpress_platform,
    choose,
    expect,
    log_in,
    run_task,
    served,
    watch_problems,
)

DOMAIN = "blog.browser.test"


@pytest.fixture(scope="module")
def page(browser: Any, panel: Panel) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    watch_problems(opened, panel)  # page errors and failed requests, checked by the page test
    yield opened
    context.close()


def test_an_admin_builds_a_site_and_watches_its_install_live(page: Any, panel: Panel) -> None:
    check = expect()
    # Log in with the keyboard only; a server with the private Apache and the machine's
    # MariaDB; a platform on Debian's WordPress.
    log_in(page, panel, "admin", ADMIN_PASSWORD)
    server_url = add_server(page, panel, "web1.example.com", "Web one")
    add_wordpress_platform(page, panel, "wordpress", "Web one")

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
        // What "Finished" says at the moment the badge shows the end: never "not yet".
        const badge = document.querySelector("#task-status");
        new MutationObserver(() => {
            if (badge.dataset.status === "success" && window.finishedWhenDone === undefined) {
                window.finishedWhenDone = document.querySelector("#task-finished").textContent;
            }
        }).observe(badge, {attributes: true});
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
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", page.evaluate("window.finishedWhenDone"))
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
