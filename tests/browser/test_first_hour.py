"""The first hour of a real admin, in a real browser against the real app (gunicorn), the
dispatcher daemon, a private Apache, MariaDB and a local SMTP server (aiosmtpd).

The panel starts as a fresh install does: no public address, and an SMTP server that does not
answer. While mail cannot go, every page that waits for a mail says so, and the administrator
gives the new client's user a password instead. Then the administrator sets the public address
and SMTP on the Settings page, sends a test mail, resends the failed mail from the outbox,
creates a client whose user receives the set-password mail, and a site for that client. The
client's user sets a password, logs in, watches the install end without a reload (the sidebar
and the site page), and sees only their own pages: every link of every page they can reach is
followed and none answers 404 or 500. Screenshots of the new pages are saved on the way."""

from __future__ import annotations

import http.client
import json
import re
import shlex
import subprocess
import time
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ADMIN_PASSWORD, Panel
from tests.browser.steps import (
    TASK_SECONDS,
    add_server,
    add_wordpress_platform,
    choose,
    expect,
    log_in,
    watch_problems,
)
from tests.fixtures.stack_process import free_port

#: A fresh install: nothing answers at the SMTP address, and no public address is set.
INITIAL_SETTINGS = {"smtp_host": "127.0.0.1", "smtp_port": free_port(),
                    "mail_from": "hostmaster@example.com"}
PUBLIC_URL = "http://panel.browser.test"
SITE = "shop.browser.test"
NEW_PASSWORD = "jane's own long password"
EARLY_PASSWORD = "a password the admin chose"
_LINK = re.compile(r"https?://\S+(/account/set-password/\S+)")
PROJECT = Path(__file__).resolve().parents[2]
#: How a form field looks: its padding, border, font size and width.
FIELD_LOOK = """field => { const look = getComputedStyle(field);
    return [look.paddingTop, look.borderTopWidth, look.borderTopColor, look.fontSize,
            Math.round(field.getBoundingClientRect().width)]; }"""
#: What only staff see; none of it may show on a client's user's pages.
STAFF_PATHS = ("/servers", "/admin", "/queues", "/platforms/add", "/tasks/dispatch")


def new_page(browser: Any, panel: Panel) -> Any:
    """A page in a browser context of its own (its own cookies), that records script errors
    and failed requests to the panel."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    opened = context.new_page()
    watch_problems(opened, panel)
    return opened


@pytest.fixture(scope="module")
def admin(browser: Any, panel: Panel) -> Any:
    """The administrator's page, logged in."""
    page = new_page(browser, panel)
    log_in(page, panel, "admin", ADMIN_PASSWORD)
    yield page
    page.context.close()


def flashed(page: Any) -> str:
    """The text of the page's messages."""
    return " ".join(page.locator(".messages .message, .form-errors").all_inner_texts())


def mailed_link(panel: Panel, to: str) -> str:
    """The path of the password link in the last mail to ``to``."""
    mails = [m for m in panel.mailbox.messages if m["To"] == to]
    assert mails, f"no mail to {to}: {[m['To'] for m in panel.mailbox.messages]}"
    found = _LINK.search(mails[-1].get_content())
    assert found, mails[-1].get_content()
    return found.group(1)


def test_with_no_smtp_every_mail_waiting_page_says_so_and_the_admin_sets_a_password(
        browser: Any, admin: Any, panel: Panel) -> None:
    check = expect()
    admin.goto(f"{panel.url}/")
    check(admin.locator("#public-url-missing")).to_contain_text("public address is not set")

    # A new client's account: the page says its mail could not be sent.
    admin.goto(f"{panel.url}/clients/add")
    admin.fill("#name", "Early Bird")
    admin.fill("#email", "early@example.com")
    admin.fill("#email_confirm", "early@example.com")
    admin.get_by_role("button", name="Create client").click()
    check(admin.locator(".messages")).to_contain_text(
        "The account early was made, but its password mail could not be sent")

    # The outbox shows it, with the reason and Resend.
    admin.goto(f"{panel.url}/admin/outbox")
    row = admin.locator("table.outbox tr", has_text="early@example.com")
    check(row).to_contain_text("Failed")
    check(row).to_contain_text("could not be reached")
    check(row.get_by_role("button", name="Resend")).to_be_visible()
    panel.shot(admin, "outbox")

    # Forgot your password? says the mail could not be sent, not that it is on its way.
    visitor = new_page(browser, panel)
    visitor.goto(f"{panel.url}/login")
    text_field = visitor.eval_on_selector("#username", FIELD_LOOK)
    visitor.get_by_role("link", name=re.compile("Forgot your password")).click()
    # Its load event: the field exists before the stylesheet applies (a loaded run saw it).
    visitor.wait_for_url(re.compile(r"/reset$"), wait_until="load")
    assert visitor.eval_on_selector("#email", FIELD_LOOK) == text_field  # one style for both
    visitor.fill("#email", "early@example.com")
    visitor.get_by_role("button", name="Mail me a link").click()
    check(visitor.locator(".form-errors")).to_contain_text("The mail could not be sent")
    assert "on its way" not in visitor.content()

    # The administrator sets the user's password; the user logs in with it.
    admin.goto(f"{panel.url}/admin/users")
    admin.get_by_role("link", name="early", exact=True).click()
    admin.fill("#password", EARLY_PASSWORD)
    admin.fill("#password_confirm", EARLY_PASSWORD)
    admin.get_by_role("button", name="Set password").click()
    check(admin.locator(".messages")).to_contain_text("early has a new password")
    log_in(visitor, panel, "early", EARLY_PASSWORD)
    visitor.context.close()
    assert admin.problems == []


def test_the_admin_sets_the_public_address_and_smtp_and_sends_a_test_mail(
        admin: Any, panel: Panel) -> None:
    check = expect()
    admin.goto(f"{panel.url}/admin/settings")
    admin.fill("#panel-public_url", "http://127.0.0.1:8080")
    admin.locator("#save-panel").click()
    check(admin.locator("#panel-public_url-error")).to_contain_text("is a loopback address")
    admin.fill("#panel-public_url", PUBLIC_URL)
    admin.locator("#save-panel").click()
    check(admin.locator(".messages")).to_contain_text("The panel settings are saved.")
    check(admin.locator("#public-url-missing")).to_have_count(0)

    admin.fill("#mail-smtp_host", "127.0.0.1")
    admin.fill("#mail-smtp_port", str(panel.mailbox.port))
    admin.fill("#mail-mail_from", "hosting@example.com")
    admin.locator("#save-mail").click()
    check(admin.locator(".messages")).to_contain_text("The mail settings are saved.")
    admin.fill("#to", "admin@example.com")
    admin.get_by_role("button", name="Send a test mail").click()
    check(admin.locator(".messages")).to_contain_text(
        f"The test mail went to admin@example.com through 127.0.0.1:{panel.mailbox.port}.")
    assert [m["Subject"] for m in panel.mailbox.messages] == ["Hostmaster test mail"]
    assert panel.mailbox.messages[0]["From"] == "hosting@example.com"
    admin.goto(f"{panel.url}/admin/settings")
    panel.shot(admin, "settings")

    # The mail that failed goes now, from the outbox.
    admin.goto(f"{panel.url}/admin/outbox?status=failed")
    admin.locator("table.outbox tr", has_text="Your Hostmaster account early").get_by_role(
        "button", name="Resend").click()
    check(admin.locator(".messages")).to_contain_text("The mail to early@example.com went")
    assert mailed_link(panel, "early@example.com")


def test_a_client_user_gets_the_mail_logs_in_and_sees_only_their_own_pages_live(
        browser: Any, admin: Any, panel: Panel) -> None:
    check = expect()
    add_server(admin, panel, "web1.example.com", "Web one")
    add_wordpress_platform(admin, panel, "wordpress", "Web one")

    # A client with a user, who is mailed a link to set a password.
    admin.goto(f"{panel.url}/clients/add")
    admin.fill("#name", "Acme Ltd")
    admin.fill("#email", "jane@acme.example")
    admin.fill("#email_confirm", "jane@acme.example")
    admin.get_by_role("button", name="Create client").click()
    check(admin.locator(".messages")).to_contain_text(
        "The account jane was made and mailed a password link.")
    link = mailed_link(panel, "jane@acme.example")

    # The client's site: with several clients, the form asks which one.
    panel.hostmaster("pause")
    admin.goto(f"{panel.url}/sites/add")
    assert admin.locator("#client").input_value() == ""
    admin.fill("#uri", SITE)
    choose(admin, "#platform", "wordpress")
    choose(admin, "#db_server", "Web one")
    admin.get_by_role("button", name="Create site").click()
    check(admin.locator("#client-error")).to_contain_text("Choose the client the site is for.")
    choose(admin, "#client", "Acme Ltd")
    admin.get_by_role("button", name="Create site").click()
    check(admin.locator("h1")).to_contain_text(SITE)

    # Jane sets her password through the mailed link and logs in.
    jane = new_page(browser, panel)
    jane.goto(f"{panel.url}{link}")
    jane.fill("#password", NEW_PASSWORD)
    jane.fill("#password_confirm", NEW_PASSWORD)
    jane.get_by_role("button", name="Set password").click()
    check(jane.locator(".messages")).to_contain_text("Your password is set. Log in as jane.")
    log_in(jane, panel, "jane", NEW_PASSWORD)

    # The install ends while she looks at her site: the sidebar and the site's task history
    # change without a reload.
    jane.get_by_role("link", name=SITE).first.click()
    history = jane.locator("#entity-history tr[data-task-id]").first
    check(history).to_have_attribute("data-task-status", "queued")
    task_id = history.get_attribute("data-task-id")
    sidebar = jane.locator(f'#queues .queue-item[data-task-id="{task_id}"]')
    check(sidebar).to_have_attribute("data-task-status", "queued")
    jane.evaluate("window.kept = 'the page was not reloaded'")
    panel.hostmaster("resume")
    check(sidebar).to_have_attribute("data-task-status", "success", timeout=TASK_SECONDS)
    check(sidebar).to_contain_text("Success")
    check(jane.locator(f'#entity-history tr[data-task-id="{task_id}"] .badge')).to_have_attribute(
        "data-status", "success")
    check(jane.locator("#site-link")).to_be_visible()
    assert jane.evaluate("window.kept") == "the page was not reloaded"

    jane.goto(f"{panel.url}/")
    check(jane.locator("#own-sites")).to_contain_text(SITE)
    panel.shot(jane, "client-dashboard")

    # Every link of every page she can reach opens; none is a staff page.
    seen = follow_every_link(jane, panel)
    broken = {url: found for url, found in seen.items() if found[0] >= 400}
    assert broken == {}, broken
    assert any(urlsplit(url).path.startswith("/sites/") for url in seen)
    staff = [url for url in seen if urlsplit(url).path.startswith(STAFF_PATHS)]
    assert staff == []
    assert "Early Bird" not in " ".join(found[2] for found in seen.values())
    assert jane.problems == [], jane.problems
    jane.context.close()


def follow_every_link(page: Any, panel: Panel) -> dict[str, tuple[int, str, str]]:
    """Open every page of the panel reachable by links from the dashboard (and every link on
    them); each address with its status, the page that linked to it, and its text."""
    seen: dict[str, tuple[int, str, str]] = {}
    waiting = deque([(f"{panel.url}/", "")])
    while waiting:
        url, source = waiting.popleft()
        if url in seen:
            continue
        response = page.goto(url)
        status = response.status if response is not None else 0
        on_panel = page.url.startswith(panel.url)
        seen[url] = (status, source, page.inner_text("body") if on_panel else "")
        if status != 200 or not on_panel:
            continue  # a site's own address (its login link) is not the panel's
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            target = href.split("#")[0]
            if target.startswith(panel.url) and target not in seen:
                waiting.append((target, url))
    return seen


def test_the_panel_works_behind_apache_with_the_front_of_contrib(
        browser: Any, panel: Panel) -> None:
    """contrib/apache/hostmaster.conf in the private Apache, with its name and ports: the
    panel's pages answer through it, and an event stream arrives as it is sent."""
    front = (PROJECT / "contrib" / "apache" / "hostmaster.conf").read_text()
    gunicorn = panel.url.removeprefix("http://")
    front = (front.replace("*:80", f"*:{panel.apache.port}")
             .replace("panel.example.com", "panel.browser.test")
             .replace("127.0.0.1:5000", gunicorn))
    modules = panel.apache.confdir / "mods-enabled"
    for name in ("proxy.load", "proxy.conf", "proxy_http.load"):
        if not (modules / name).exists():
            (modules / name).symlink_to(Path("..") / "mods-available" / name)
    (panel.apache.include_dir / "hostmaster-front.conf").write_text(front)
    subprocess.run(shlex.split(panel.apache.restart_cmd), check=True, timeout=60)
    panel.apache.wait_for_workers()

    page = new_page(browser, panel)
    front_url = f"http://panel.browser.test:{panel.apache.port}"
    page.goto(f"{front_url}/login")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect()(page.locator("h1")).to_have_text("Dashboard")
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())

    # A queued task's status stream: the first event comes at once, the end when it ran.
    panel.hostmaster("pause")
    panel.hostmaster("server", "add", "localhost")  # verified here, without SSH
    listed = json.loads(panel.hostmaster("task", "list", "--status", "queued", "--json"))
    task_id = listed["items"][0]["id"]
    connection = http.client.HTTPConnection("127.0.0.1", panel.apache.port, timeout=20)
    try:
        connection.request("GET", f"/tasks/events?task={task_id}",
                           headers={"Host": "panel.browser.test", "Cookie": cookies})
        response = connection.getresponse()
        assert response.status == 200
        started = time.monotonic()
        lines = [response.readline().decode() for _ in range(4)]  # retry, blank, event, data
        assert time.monotonic() - started < 5, "the first event waited in a buffer"
        assert lines[2] == "event: status\n" and '"status":"queued"' in lines[3]
        panel.hostmaster("resume")
        rest = response.read().decode()  # until the stream ends, with the task
        assert "event: end" in rest
    finally:
        connection.close()
        panel.hostmaster("resume")
        page.context.close()
