"""Claiming queued tasks atomically, renewing leases, and ending tasks whose dispatcher died.

A claim is one conditional UPDATE per task (``WHERE status = QUEUED``) that also sets the
task's unique ``running_key``: the store itself guarantees that a task is claimed once and
that no entity runs two tasks at once, on SQLite and on MariaDB, with any number of
dispatchers and no lock files.

Leases: the dispatcher renews its tasks' leases every ``renewal_interval(lease)`` seconds (a
sixth of the lease, at most 10 s), and every second or two while the store does not answer,
so a lease outlives any store outage shorter than five sixths of it. A task is ended as
expired only when its lease has really run out, checked again under a row lock
(runner.end_expired); the sweeping dispatcher skips its own running tasks.

A store hiccup in the middle of a claim raises ``ClaimInterrupted``, which says which tasks
are surely claimed and which may be (their commit's answer was lost): the dispatcher runs the
first and hands the others back with ``release`` once the store answers.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Task, TaskStatus, utcnow
from .store_watch import forget_session, is_busy, is_hiccup


class ClaimInterrupted(Exception):
    """The store failed during a claim: ``claimed`` are ours, ``uncertain`` may be."""

    def __init__(self, cause: Exception, claimed: list[int], uncertain: list[int]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.claimed = claimed
        self.uncertain = uncertain


def renewal_interval(lease_seconds: float) -> float:
    """How often a dispatcher renews its leases: a sixth of the lease, 0.2 to 10 seconds."""
    return min(max(0.2, lease_seconds / 6), 10.0)


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
        try:
            task = db.session.get(Task, task_id)
            if task is None:
                continue
            key = task.entity_key
        except Exception as error:
            if is_hiccup(error):
                raise ClaimInterrupted(error, claimed, []) from error
            raise
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
        except IntegrityError:
            # Another dispatcher started a task on this entity first (unique running_key).
            db.session.rollback()
            continue
        except OperationalError as error:
            forget_session()
            if is_busy(error):  # a deadlock victim: undone, leave the task for a later pass
                continue
            raise ClaimInterrupted(error, claimed, [task_id]) from error
        if result.rowcount == 1:  # type: ignore[attr-defined]
            try:
                admitted = cap is None or _still_admitted(cap)
                if not admitted:
                    release(task_id, dispatcher_id)
                    break
            except Exception as error:
                if is_hiccup(error):
                    raise ClaimInterrupted(error, claimed, [task_id]) from error
                raise
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


def expired(exclude: set[int] | frozenset[int] = frozenset()) -> list[int]:
    """Ids of PROCESSING tasks whose lease has run out, but those in ``exclude`` (the
    sweeping dispatcher's own live tasks, which it renews itself)."""
    ids = list(
        db.session.scalars(
            select(Task.id).where(
                and_(Task.status == TaskStatus.PROCESSING, Task.lease_expires_at < utcnow())
            )
        )
    )
    db.session.commit()
    return [task_id for task_id in ids if task_id not in exclude]
