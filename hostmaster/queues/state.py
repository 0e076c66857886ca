"""The admin-edited state of each queue (a ``QueueState`` row) and its run bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from ..extensions import db
from ..models import QueueState
from . import BatchQueue, all_queues, get
from .schedule import Plan, plan


@dataclass(frozen=True)
class QueueView:
    """A queue, its stored state and its current spread, for the Queues page."""

    queue: BatchQueue
    state: QueueState
    plan: Plan
    total: int


def state_of(queue: BatchQueue) -> QueueState:
    """The queue's state row, created with the queue's defaults on first use (commits then)."""
    state = db.session.get(QueueState, queue.name)
    if state is None:
        state = QueueState(
            name=queue.name,
            enabled=True,
            frequency=queue.default_frequency,
            items=queue.default_items,
            details={},
        )
        db.session.add(state)
        db.session.commit()
    return state


def plan_of(queue: BatchQueue, state: QueueState, total: int) -> Plan:
    """How often the queue runs and how many items a run takes, for ``total`` items."""
    return plan(
        queue.kind,
        state.frequency,
        state.items,
        total,
        min_threads=queue.min_threads,
        max_threads=queue.max_threads,
        threshold=queue.threshold,
    )


def overview() -> list[QueueView]:
    """Every queue with its state and spread."""
    views = []
    for queue in all_queues():
        state = state_of(queue)
        total = queue.total()
        views.append(QueueView(queue, state, plan_of(queue, state, total), total))
    return views


def update_settings(name: str, enabled: bool, frequency: int, items: int) -> QueueState:
    """Store what the admin chose for queue ``name`` (KeyError: no such queue). Commits."""
    state = state_of(get(name))
    state.enabled = enabled
    state.frequency = frequency
    state.items = items
    db.session.commit()
    return state


def claim_run(state: QueueState, now: datetime) -> bool:
    """Mark the queue as run at ``now`` unless another dispatcher did so first.

    One conditional UPDATE on the last run time it read: only one of several dispatchers
    sharing a store gets the run (the same idea as a task claim).
    """
    previous = state.last_run_at
    condition = (
        QueueState.last_run_at.is_(None)
        if previous is None
        else QueueState.last_run_at == previous
    )
    result = db.session.execute(
        update(QueueState)
        .where(QueueState.name == state.name, condition)
        .values(last_run_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.expire(state)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def record_run(name: str, **details: Any) -> None:
    """Keep what the last run did (result, error, duration) in the state's details. Commits."""
    db.session.rollback()
    state = db.session.get(QueueState, name)
    if state is None:
        return
    state.details = {**(state.details or {}), **details}
    db.session.commit()


def save_global_retention(values: dict[str, int]) -> None:
    """Store the global retention (``keep_last`` ... ``keep_monthly``). Commits."""
    from ..services import settings

    settings.save({f"backup_{key}": int(value) for key, value in values.items()})


def save_site_retention(site_id: int, values: dict[str, int | None]) -> None:
    """Store a site's own retention (None: the global value). Commits."""
    from .backup import schedule_of

    schedule = schedule_of(site_id)
    for key, value in values.items():
        setattr(schedule, key, value)
    db.session.commit()
