"""Claiming queued tasks atomically, renewing leases, and ending tasks whose dispatcher died.

A claim is one conditional UPDATE per task (``WHERE status = QUEUED``) that also sets the
task's unique ``running_key``: the store itself guarantees that a task is claimed once and
that no entity runs two tasks at once, on SQLite and on MariaDB, with any number of
dispatchers and no lock files.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Task, TaskStatus, utcnow


def running_count() -> int:
    """How many tasks are PROCESSING under a live lease (on every dispatcher)."""
    return (
        db.session.scalar(
            select(func.count(Task.id)).where(
                Task.status == TaskStatus.PROCESSING, Task.lease_expires_at >= utcnow()
            )
        )
        or 0
    )


def candidates(limit: int) -> list[int]:
    """The oldest queued task of each entity that has no running task, oldest first."""
    running = aliased(Task)
    busy = exists().where(
        running.entity_kind == Task.entity_kind,
        running.entity_id == Task.entity_id,
        running.status == TaskStatus.PROCESSING,
    )
    oldest = func.min(Task.id)
    rows = db.session.execute(
        select(oldest)
        .where(Task.status == TaskStatus.QUEUED, ~busy)
        .group_by(Task.entity_kind, Task.entity_id)
        .order_by(oldest)
        .limit(limit)
    )
    ids = [row[0] for row in rows]
    db.session.commit()  # end the read: every claim below is its own short transaction
    return ids


def claim(
    limit: int, dispatcher_id: str, lease_seconds: float, cap: int | None = None
) -> list[int]:
    """Claim up to ``limit`` tasks for ``dispatcher_id``; returns their ids.

    With ``cap``, each claim is checked once it is committed: if dispatch was paused meanwhile,
    or more than ``cap`` tasks now run over all dispatchers (two of them claimed at the same
    moment), the claim is handed back. So the cap and a pause hold with any number of
    dispatchers, at the price of an occasional claim given back.
    """
    claimed: list[int] = []
    if limit <= 0:
        return claimed
    for task_id in candidates(limit):
        now = utcnow()
        task = db.session.get(Task, task_id)
        if task is None:
            continue
        key = task.entity_key
        try:
            result = db.session.execute(
                update(Task)
                .where(Task.id == task_id, Task.status == TaskStatus.QUEUED)
                .values(
                    status=TaskStatus.PROCESSING,
                    running_key=key,
                    dispatcher=dispatcher_id,
                    started_at=now,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                )
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        except (IntegrityError, OperationalError):
            # Another dispatcher started a task on this entity first (unique running_key),
            # or the store chose us as a deadlock victim: leave the task for a later pass.
            db.session.rollback()
            continue
        if result.rowcount == 1:  # type: ignore[attr-defined]
            if cap is not None and not _still_admitted(cap):
                release(task_id, dispatcher_id)
                break
            claimed.append(task_id)
    db.session.expire_all()
    return claimed


def _still_admitted(cap: int) -> bool:
    """After a claim: dispatch is not paused and at most ``cap`` tasks run everywhere."""
    from ..services import dispatch_control

    if dispatch_control.state().paused:
        return False
    admitted = running_count() <= cap
    db.session.commit()  # end the read: the next pass must see other dispatchers' claims
    return admitted


def release(task_id: int, dispatcher_id: str) -> None:
    """Hand a claimed task that has not started back to the queue, as if never claimed."""
    db.session.execute(
        update(Task)
        .where(
            Task.id == task_id,
            Task.dispatcher == dispatcher_id,
            Task.status == TaskStatus.PROCESSING,
        )
        .values(
            status=TaskStatus.QUEUED,
            running_key=None,
            dispatcher="",
            started_at=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def renew(task_ids: list[int], dispatcher_id: str, lease_seconds: float) -> None:
    """Push the leases of this dispatcher's running tasks forward."""
    if not task_ids:
        return
    db.session.execute(
        update(Task)
        .where(
            Task.id.in_(task_ids),
            Task.dispatcher == dispatcher_id,
            Task.status == TaskStatus.PROCESSING,
        )
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def expired() -> list[int]:
    """Ids of PROCESSING tasks whose lease has run out."""
    ids = list(
        db.session.scalars(
            select(Task.id).where(
                and_(Task.status == TaskStatus.PROCESSING, Task.lease_expires_at < utcnow())
            )
        )
    )
    db.session.commit()
    return ids
