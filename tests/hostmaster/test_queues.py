"""The batch queue framework: the spreading formula, retention, the admin Queues page, and
the rules that a disabled queue does not run, a frequency change applies on the next pass and
a failing queue does not stop the others."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostmaster import queues
from hostmaster.extensions import db
from hostmaster.models import QueueState, SiteStatistic
from hostmaster.queues import Batch, BatchQueue
from hostmaster.queues import state as queue_state
from hostmaster.queues.retention import Retention, kept
from hostmaster.queues.runner import run_due_queues
from hostmaster.queues.schedule import Plan, plan
from tests.fixtures.app import AuthActions
from tests.hostmaster.pages import text
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform

T0 = datetime(2026, 11, 2, 12, 0, 0)


def test_batch_queues_spread_their_items_as_the_original_does() -> None:
    # cron: 6 to 12 runs an hour, one per 100 sites
    assert plan("batch", 3600, 0, 2, min_threads=6, max_threads=12) == Plan(600, 1)
    assert plan("batch", 3600, 0, 700, min_threads=6, max_threads=12) == Plan(515, 100)
    assert plan("batch", 3600, 0, 10000, min_threads=6, max_threads=12) == Plan(300, 834)
    assert plan("batch", 3600, 50, 10000, min_threads=6, max_threads=12) == Plan(300, 50)
    assert plan("spread", 3600, 0, 10000) == Plan(60, 167)
    assert plan("spread", 3600, 0, 0) == Plan(86400, 0)
    assert plan("serial", 60, 5, 1000) == Plan(60, 5)


def test_retention_keeps_the_last_n_and_the_newest_of_each_day_week_and_month() -> None:
    days = [(n, T0 - timedelta(days=n)) for n in range(60)]  # one backup a day, id = age
    assert kept(days, Retention(last=3)) == {0, 1, 2}
    assert kept(days, Retention(last=1, daily=5)) == {0, 1, 2, 3, 4}
    # 2026-11-02 is a Monday: the newest of each ISO week is its day 0, 1, 8, 15...
    assert kept(days, Retention(last=1, weekly=3)) == {0, 1, 8}
    assert kept(days, Retention(last=1, monthly=3)) == {0, 2, 33}  # Nov 2, Oct 31, Sep 30
    assert kept(days, Retention(last=0)) == {0}  # the newest backup always stays
    two_a_day = [(1, T0), (2, T0 - timedelta(hours=1)), (3, T0 - timedelta(days=1))]
    assert kept(two_a_day, Retention(last=1, daily=2)) == {1, 3}


@pytest.fixture
def queues_on(app: Flask) -> Flask:
    """The app, with its dispatch passes running the batch queues."""
    app.config["DISPATCH_QUEUES"] = True
    return app


@pytest.fixture
def counting_queue() -> Iterator[list[Batch]]:
    """A queue (no sites needed) that records each batch it is given."""
    batches: list[Batch] = []

    def run(batch: Batch) -> str:
        batches.append(batch)
        return f"Counted {batch.items} items."

    queues.register(BatchQueue(name="counting", title="Counting", description="Counts.",
                               default_frequency=3600, default_items=0, run=run,
                               total=lambda: 10, kind="batch", max_threads=1))
    try:
        yield batches
    finally:
        queues._REGISTRY.pop("counting", None)


def only(name: str) -> None:
    """Disable every queue but ``name``."""
    for view in queue_state.overview():
        queue_state.update_settings(view.queue.name, view.queue.name == name,
                                    view.state.frequency, view.state.items)


def test_a_queue_disabled_on_the_queues_page_does_not_run(
    queues_on: Flask, auth: AuthActions, counting_queue: list[Batch]
) -> None:
    auth.login()
    with queues_on.app_context():
        only("counting")
    response = auth.submit("/queues", {"counting-frequency": "3600", "counting-items": "0"},
                           post_path="/queues/counting")
    assert response.status_code == 302

    assert run_due_queues(queues_on, T0) == []

    assert counting_queue == []
    with queues_on.app_context():
        stored = db.session.get_one(QueueState, "counting")
        assert not stored.enabled and stored.last_run_at is None


def test_a_frequency_change_takes_effect_on_the_next_pass(
    queues_on: Flask, auth: AuthActions, counting_queue: list[Batch]
) -> None:
    auth.login()
    with queues_on.app_context():
        only("counting")
    run_due_queues(queues_on, T0)
    run_due_queues(queues_on, T0 + timedelta(seconds=120))  # hourly: not due yet
    assert [batch.now for batch in counting_queue] == [T0]

    response = auth.submit("/queues", {"counting-enabled": "y", "counting-frequency": "60",
                                       "counting-items": "4"}, post_path="/queues/counting")
    assert response.status_code == 302
    run_due_queues(queues_on, T0 + timedelta(seconds=120))

    assert [batch.now for batch in counting_queue] == [T0, T0 + timedelta(seconds=120)]
    assert counting_queue[-1].items == 4 and counting_queue[-1].frequency == 60
    page = text(auth._client.get("/queues").get_data(as_text=True))
    assert "Counted 4 items." in page and "4 items every minute (10 items in all)" in page


def test_a_failing_queue_is_logged_and_the_others_still_run(
    queues_on: Flask, counting_queue: list[Batch]
) -> None:
    def broken(batch: Batch) -> str:
        raise RuntimeError("the store of this queue is gone")

    queues.register(BatchQueue(name="broken", title="Broken", description="Fails.",
                               default_frequency=60, default_items=0, run=broken))
    try:
        with queues_on.app_context():
            only("counting")
            queue_state.update_settings("broken", True, 60, 0)
        # "broken" registers after "counting": make it come first
        queues._REGISTRY = {"broken": queues._REGISTRY.pop("broken"), **queues._REGISTRY}

        assert run_due_queues(queues_on, T0) == ["broken"]

        assert len(counting_queue) == 1
        with queues_on.app_context():
            details = db.session.get_one(QueueState, "broken").details
            assert details["last_error"] == "RuntimeError: the store of this queue is gone"
    finally:
        queues._REGISTRY.pop("broken", None)


def test_the_queues_page_refuses_bad_values_and_changes_nothing(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    page = text(client.get("/queues").get_data(as_text=True))
    assert "Cron" in page and "Backups" in page and "Statistics" in page

    response = auth.submit("/queues", {"cron-enabled": "y", "cron-frequency": "5",
                                       "cron-items": "-1"}, post_path="/queues/cron")

    assert response.status_code == 302
    shown = text(client.get("/queues").get_data(as_text=True))
    assert "A frequency is from 60 seconds to 90 days." in shown
    assert "Items per run is a number from 0 to 100000." in shown
    with app.app_context():
        assert db.session.get_one(QueueState, "cron").frequency == 3600
    assert client.post("/queues/nothing", data={}).status_code in (400, 404)


def test_global_and_site_retention_are_saved(app: Flask, client: FlaskClient,
                                             auth: AuthActions) -> None:
    auth.login()
    with app.app_context():
        server = master_server()
        site_id = enabled_site(ready_platform(server), server).id
    assert auth.submit("/queues", {"keep_last": "5", "keep_daily": "1", "keep_weekly": "2",
                                   "keep_monthly": "0"},
                       post_path="/queues/retention").status_code == 302
    assert "keep the last 5, 1 daily, 2 weekly, 0 monthly" in text(
        client.get("/queues").get_data(as_text=True))
    path = f"/queues/sites/{site_id}/retention"
    assert auth.submit(path, {"keep_last": "9", "keep_daily": "", "keep_weekly": "",
                              "keep_monthly": ""}).status_code == 302
    with app.app_context():
        from hostmaster.models import Site, SiteSchedule
        from hostmaster.queues.retention import policy_of

        site = db.session.get_one(Site, site_id)
        assert policy_of(site, db.session.get(SiteSchedule, site_id)) == Retention(9, 1, 2, 0)
    refused = auth.submit(path, {"keep_last": "-3"})
    assert refused.status_code == 200 and "Keep from 0 to 1000 backups." in text(
        refused.get_data(as_text=True))


def test_the_site_page_draws_its_statistics_and_the_dashboard_sums_them(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        site_id = site.id
        for day, users in enumerate((2, 5, 4)):
            db.session.add(SiteStatistic(site_id=site_id, taken_at=T0 + timedelta(days=day),
                                         users=users, active_users=1, content_items=7,
                                         comments=day))
        from hostmaster.queues.statistics import record

        batch = Batch(app=app, now=T0 + timedelta(days=3), items=1, frequency=86400)
        record(site, {"users": 6, "active_users": 2, "content_items": 8, "comments": 3}, batch)
        db.session.commit()
        from hostmaster.queues.backup import schedule_of

        schedule_of(site_id).last_statistics_at = batch.now
        db.session.commit()
    page = client.get(f"/sites/{site_id}").get_data(as_text=True)
    assert '<svg class="statistics-chart"' in page
    assert "Statistics from 2026-11-02 to 2026-11-05" in page
    assert "Latest reading: Users: 6, Active users (30 days): 2, Content items: 8, Comments: 3." \
        in page
    assert page.count("<polyline") == 4 and page.count("<circle") == 16
    dashboard = text(client.get("/").get_data(as_text=True))
    assert "Users 6 Active users (30 days) 2 Content items 8 Comments 3 Over 1 site." in dashboard
