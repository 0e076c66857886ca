"""The garbage queue: keeps the task table small (the original's task_gc, plus an age limit).

Each run removes, a thousand rows per statement, finished tasks and their log lines when:

- the site they worked on is deleted, or their server, platform or site row is gone;
- they finished more than ``task_retention_days`` days ago (default 90; 0 keeps them), except
  the newest task of each type on each entity, which its page shows as "last run";

A QUEUED or PROCESSING task is never touched: every DELETE repeats the finished-status
condition. Log lines go with their task (deleted first, explicitly; the foreign key's cascade
means no log line outlives its task, so there are no orphans to hunt, unlike the original's).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, exists, func, or_, select

from ..extensions import db
from ..models import ENTITY_MODELS, Site, SiteStatus, Task, TaskLog, TaskStatus
from ..services.dispatch_control import retention_days
from . import Batch, BatchQueue, register

#: Rows per statement: short transactions that never lock the table for long.
CHUNK = 1000
FINISHED = (TaskStatus.SUCCESS, TaskStatus.ERROR, TaskStatus.WARNING)


def of_gone_entities() -> Select[Any]:
    """Finished tasks of deleted sites, or of servers, platforms and sites that are gone."""
    gone = [
        (Task.entity_kind == kind) & ~exists().where(model.id == Task.entity_id)
        for kind, model in ENTITY_MODELS.items()
    ]
    deleted_site = (Task.entity_kind == "site") & exists().where(
        Site.id == Task.entity_id, Site.status == SiteStatus.DELETED
    )
    return select(Task.id).where(Task.status.in_(FINISHED), or_(deleted_site, *gone))


def older_than(cutoff: datetime) -> Select[Any]:
    """Finished tasks that ended before ``cutoff``, but not the newest of their kind."""
    newest = (
        select(func.max(Task.id).label("id"))
        .group_by(Task.entity_kind, Task.entity_id, Task.type)
        .subquery()
    )
    ended = func.coalesce(Task.finished_at, Task.created_at)
    return select(Task.id).where(
        Task.status.in_(FINISHED), ended < cutoff, Task.id.not_in(select(newest.c.id))
    )


def remove_tasks(query: Select[Any], limit: int) -> int:
    """Delete up to ``limit`` tasks that ``query`` selects, with their logs, chunk by chunk."""
    removed = 0
    while removed < limit:
        ids = list(db.session.scalars(query.order_by(Task.id).limit(min(CHUNK, limit - removed))))
        if not ids:
            break
        # The query is read first, then the ids deleted: MySQL refuses a DELETE whose subquery
        # reads the same table, and the status is checked again in case one was queued again.
        db.session.execute(
            delete(TaskLog)
            .where(
                TaskLog.task_id.in_(
                    select(Task.id).where(Task.id.in_(ids), Task.status.in_(FINISHED))
                )
            )
            .execution_options(synchronize_session=False)
        )
        done = db.session.execute(
            delete(Task)
            .where(Task.id.in_(ids), Task.status.in_(FINISHED))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        removed += done.rowcount  # type: ignore[attr-defined]
        if len(ids) < CHUNK:
            break
    return removed


def collect(now: datetime, limit: int) -> tuple[int, int]:
    """One collection: (tasks of deleted or gone entities, tasks past the retention age)."""
    gone = remove_tasks(of_gone_entities(), limit)
    days = retention_days()
    old = remove_tasks(older_than(now - timedelta(days=days)), limit - gone) if days else 0
    return gone, old


def run_garbage(batch: Batch) -> str:
    """Remove one batch of garbage (at most ``batch.items`` tasks; 0 means no cap)."""
    limit = batch.items if batch.items > 0 else 1_000_000
    gone, old = collect(batch.now, limit)
    days = retention_days()
    age = f"{old} older than {days} days" if days else "no age limit"
    return (
        f"Removed {gone + old} tasks with their logs ({gone} of deleted or gone entities; {age})."
    )


register(
    BatchQueue(
        name="garbage",
        title="Task garbage collection",
        description="Remove finished tasks (and their logs) of deleted sites, and finished "
        "tasks older than the task retention setting, a thousand rows at a time.",
        default_frequency=3600,
        default_items=10_000,
        run=run_garbage,
        kind="serial",
        unit=("task", "tasks"),
    )
)
