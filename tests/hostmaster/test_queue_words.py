"""The Queues page in words: what each queue does ("1 site every 10 minutes (2 sites in all)",
"up to 10,000 tasks every hour"), and an empty "at most per run" box for "no limit"."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostmaster.queues.schedule import Plan, describe, every
from tests.fixtures.app import AuthActions
from tests.hostmaster.pages import part, text
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform


@pytest.mark.parametrize(("seconds", "words"), [
    (60, "every minute"), (600, "every 10 minutes"), (3600, "every hour"),
    (7200, "every 2 hours"), (86400, "every day"), (90, "every 90 seconds"),
    (5400, "every 90 minutes"),
])
def test_periods_read_as_words(seconds: int, words: str) -> None:
    assert every(seconds) == words


def test_what_a_queue_does_reads_as_a_sentence() -> None:
    sites = ("site", "sites")
    assert describe(Plan(600, 1), "batch", 2, sites) == "1 site every 10 minutes (2 sites in all)"
    assert describe(Plan(86400, 0), "spread", 0, sites) == "nothing to do (no sites)"
    assert describe(Plan(3600, 10_000), "serial", 0, ("task", "tasks")) == \
        "up to 10,000 tasks every hour"
    assert describe(Plan(3600, 0), "serial", 0, ("task", "tasks")) == "all tasks every hour"


def test_the_queues_page_says_what_each_queue_does_and_shows_no_limit_as_empty(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        for uri in ("one.example.com", "two.example.com"):
            enabled_site(platform, server, uri)
    auth.login()
    markup = client.get("/queues").get_data(as_text=True)
    cron = text(part(markup, "queue-cron", "</tr>"))
    assert "1 site every 10 minutes (2 sites in all)" in cron
    assert "up to 10,000 tasks every hour" in text(part(markup, "queue-garbage", "</tr>"))
    items = re.search(r'<input[^>]*id="cron-items"[^>]*>', markup)
    assert items and 'value=""' in items.group(0) and 'placeholder="no limit"' in items.group(0)
    assert "Items per run 0" not in text(markup) and " of 0 items" not in text(markup)
