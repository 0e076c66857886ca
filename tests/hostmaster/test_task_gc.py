"""The garbage queue: tasks of deleted sites and tasks past the retention age are removed
with their logs, in chunks; queued and running tasks, and each entity's newest task of each
type, stay. Real rows, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, insert, select

from hostmaster import queues
from hostmaster.extensions import db
from hostmaster.models import QueueState, Site, SiteStatus, Task, TaskLog, TaskStatus, utcnow
from hostmaster.queues import Batch, garbage
from hostmaster.queues.runner import run_if_due
from hostmaster.services import dispatch_control
from tests.hostmaster.site_helpers import master_server, new_site, ready_platform

NOW = datetime(2026, 6, 1, 12, 0, 0)


@pytest.fixture
def two_sites(app: Flask) -> Iterator[tuple[int, int]]:
    """(a deleted site, an enabled site), with no tasks of their own yet."""
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        gone = new_site(platform, server, "gone.example.com")
        kept = new_site(platform, server, "kept.example.com")
        gone.status, kept.status = SiteStatus.DELETED, SiteStatus.ENABLED
        db.session.execute(Task.__table__.delete())  # the installs queued by the service
        db.session.commit()
        yield gone.id, kept.id


def add_tasks(
    site_id: int,
    count: int,
    *,
    status: TaskStatus = TaskStatus.SUCCESS,
    type_name: str = "verify",
    finished: datetime = NOW,
    log_lines: int = 2,
) -> list[int]:
    """Insert ``count`` tasks on site ``site_id`` (with log lines) in bulk; returns their ids."""
    first = (db.session.scalar(select(func.max(Task.id))) or 0) + 1
    ids = list(range(first, first + count))
    db.session.execute(
        insert(Task),
        [
            {
                "id": task_id,
                "type": type_name,
                "entity_kind": "site",
                "entity_id": site_id,
                "status": status,
                "arguments": {},
                "created_at": finished - timedelta(minutes=1),
                "finished_at": finished if status.finished else None,
                "dispatcher": "",
            }
            for task_id in ids
        ],
    )
    lines = [
        {"task_id": task_id, "level": "info", "message": f"line {n}", "created_at": finished}
        for task_id in ids
        for n in range(log_lines)
    ]
    if lines:
        db.session.execute(insert(TaskLog), lines)
    db.session.commit()
    return ids


def task_ids() -> set[int]:
    return set(db.session.scalars(select(Task.id)))


def log_count() -> int:
    return db.session.scalar(select(func.count(TaskLog.id))) or 0


def collect(items: int = 10_000, now: datetime = NOW) -> str:
    return garbage.run_garbage(Batch(app=None, now=now, items=items, frequency=3600))  # type: ignore[arg-type]


def test_tasks_of_a_deleted_site_go_with_their_logs_but_never_queued_or_running_ones(
    app: Flask, two_sites: tuple[int, int]
) -> None:
    gone, kept = two_sites
    with app.app_context():
        finished = add_tasks(gone, 3) + add_tasks(gone, 1, status=TaskStatus.ERROR)
        pending = add_tasks(gone, 1, status=TaskStatus.QUEUED) + add_tasks(
            gone, 1, status=TaskStatus.PROCESSING, type_name="backup"
        )
        alive = add_tasks(kept, 2)
        summary = collect()
        assert task_ids() == set(pending + alive)
        assert set(db.session.scalars(select(TaskLog.task_id))) == set(pending + alive)
        assert summary.startswith(
            f"Removed {len(finished)} tasks with their logs ({len(finished)} of"
        )


def test_tasks_of_an_entity_whose_row_is_gone_are_collected(
    app: Flask, two_sites: tuple[int, int]
) -> None:
    _, kept = two_sites
    with app.app_context():
        orphans = add_tasks(kept + 1000, 2)  # no site has this id
        alive = add_tasks(kept, 1)
        collect()
        assert task_ids() == set(alive)
        assert not set(orphans) & task_ids()


def test_finished_tasks_past_the_retention_age_go_except_the_newest_of_each_type(
    app: Flask, two_sites: tuple[int, int]
) -> None:
    _, kept = two_sites
    with app.app_context():
        assert dispatch_control.retention_days() == 90  # the default
        ancient = NOW - timedelta(days=200)
        old_verifies = add_tasks(kept, 3, finished=ancient)
        old_backup = add_tasks(kept, 1, type_name="backup", finished=ancient)
        old_queued = add_tasks(
            kept, 1, status=TaskStatus.QUEUED, type_name="enable", finished=ancient
        )
        recent = add_tasks(kept, 1, type_name="disable", finished=NOW - timedelta(days=89))
        summary = collect()
        # the newest verify is kept (the site page shows it as the last run); so is the only
        # backup, the queued task and the recent one
        assert task_ids() == {old_verifies[-1], *old_backup, *old_queued, *recent}
        assert "2 older than 90 days" in summary
        assert log_count() == 2 * 4


def test_a_retention_of_zero_keeps_old_tasks(app: Flask, two_sites: tuple[int, int]) -> None:
    _, kept = two_sites
    with app.app_context():
        dispatch_control.set_retention_days(0)
        old = add_tasks(kept, 3, finished=NOW - timedelta(days=400))
        assert "no age limit" in collect()
        assert task_ids() == set(old)


def test_a_run_removes_at_most_its_items_a_thousand_rows_per_statement(
    app: Flask, two_sites: tuple[int, int]
) -> None:
    gone, _ = two_sites
    deletes: list[str] = []

    def count_deletes(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM TASK "):
            deletes.append(statement)
            assert len(params) <= garbage.CHUNK + len(garbage.FINISHED) + 1

    with app.app_context():
        add_tasks(gone, 2500, log_lines=1)
        event.listen(db.engine, "before_cursor_execute", count_deletes)
        try:
            assert collect(items=1200).startswith("Removed 1200 tasks ")
            assert len(deletes) == 2  # 1000, then 200
            assert len(task_ids()) == 1300 and log_count() == 1300
            assert collect(items=1200).startswith("Removed 1200 tasks ")
            assert collect(items=1200).startswith("Removed 100 tasks ")
        finally:
            event.remove(db.engine, "before_cursor_execute", count_deletes)
        assert task_ids() == set() and log_count() == 0


def test_the_garbage_queue_is_registered_and_runs_through_the_queue_runner(
    app: Flask, two_sites: tuple[int, int]
) -> None:
    gone, _ = two_sites
    with app.app_context():
        add_tasks(gone, 5)
        queue = queues.get("garbage")
        assert queue in queues.all_queues()
        assert run_if_due(app, queue, utcnow()) is True
        assert task_ids() == set()
        state = db.session.get_one(QueueState, "garbage")
        assert (state.frequency, state.items) == (3600, 10_000)
        assert state.last_run_at is not None
        assert run_if_due(app, queue, utcnow()) is False  # not due again for an hour
        site = db.session.get_one(Site, gone)
        assert site.status == SiteStatus.DELETED  # the site row itself stays
