"""Controlling the dispatcher from the store: pause, resume, and how many tasks run at once.

Both live in the Setting table, so every dispatcher process (cron passes and daemons, on any
host) reads the same values on each pass: ``dispatch_paused`` (claim nothing while true) and
``dispatch_concurrency`` (the cap on PROCESSING tasks over all dispatchers; when unset, the
``HOSTMASTER_DISPATCH_CONCURRENCY`` environment variable gives it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Setting, Task, TaskStatus, utcnow
from . import settings
from .errors import ValidationError

PAUSED = "dispatch_paused"
CONCURRENCY = "dispatch_concurrency"
MAX_CONCURRENCY = 64
RETENTION = "task_retention_days"
MAX_RETENTION_DAYS = 3650


@dataclass(frozen=True)
class DispatchState:
    """What a dispatch pass needs to know before it claims anything."""

    paused: bool
    concurrency: int
    paused_at: str | None = None


def state(*, end_read: bool = True) -> DispatchState:
    """The current pause flag and concurrency cap, read fresh from the store (one query).

    ``end_read`` ends the transaction, so that the next call of a long-lived process (the
    dispatcher) sees other processes' changes; a web page, whose request gets a new
    transaction anyway, passes False so that the rows it has loaded stay loaded.
    """
    found = db.session.execute(
        select(Setting.name, Setting.value).where(Setting.name.in_([PAUSED, CONCURRENCY]))
    )
    rows: dict[str, Any] = {name: value for name, value in found}
    if end_read:
        db.session.commit()
    paused = rows.get(PAUSED)
    return DispatchState(
        paused=bool(paused),
        concurrency=_valid_concurrency(rows.get(CONCURRENCY)) or default_concurrency(),
        paused_at=paused if isinstance(paused, str) else None,
    )


def default_concurrency() -> int:
    """The cap when no admin has set one: HOSTMASTER_DISPATCH_CONCURRENCY (4 unless set)."""
    return max(1, int(current_app.config["DISPATCH_CONCURRENCY"]))


def set_concurrency(value: int | None) -> None:
    """Store the cap on running tasks (None goes back to the environment's default)."""
    if value is None:
        row = db.session.get(Setting, CONCURRENCY)
        if row is not None:
            db.session.delete(row)
        db.session.commit()
        return
    if _valid_concurrency(value) is None:
        raise ValidationError.field(
            "concurrency",
            f"The number of tasks that may run at once must be a whole number from 1 to "
            f"{MAX_CONCURRENCY}.",
        )
    settings.put(CONCURRENCY, int(value))
    db.session.commit()


def _valid_concurrency(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 1 <= value <= MAX_CONCURRENCY else None


def pause(now: datetime | None = None) -> None:
    """Stop every dispatcher from claiming tasks (running ones carry on to their end).

    The flag's value is the time (UTC) it was set, shown beside "Dispatch paused".
    """
    stamp = (now or utcnow()).strftime("%Y-%m-%d %H:%M:%S")
    settings.put(PAUSED, stamp)
    db.session.commit()


def resume() -> bool:
    """Let dispatchers claim tasks again; returns False when dispatch was not paused."""
    row = db.session.get(Setting, PAUSED)
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def running_tasks() -> list[Task]:
    """Every task now PROCESSING, oldest first (whatever state its lease is in)."""
    found = list(
        db.session.scalars(
            select(Task).where(Task.status == TaskStatus.PROCESSING).order_by(Task.id)
        )
    )
    db.session.commit()
    return found


def wait_until_idle(
    timeout: float,
    on_progress: Callable[[list[Task]], None] | None = None,
    poll_seconds: float = 1.0,
) -> list[Task]:
    """Wait until no task is PROCESSING or ``timeout`` seconds pass; returns those still running.

    ``on_progress`` is called with the running tasks whenever their set changes.
    """
    deadline = time.monotonic() + timeout
    shown: list[int] | None = None
    while True:
        running = running_tasks()
        ids = [task.id for task in running]
        if ids != shown and on_progress is not None:
            on_progress(running)
        shown = ids
        if not running or time.monotonic() >= deadline:
            return running
        time.sleep(min(poll_seconds, max(0.0, deadline - time.monotonic())))


def retention_days() -> int:
    """Days a finished task is kept before the garbage queue removes it (0: forever)."""
    value = settings.get(RETENTION)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def set_retention_days(days: int) -> None:
    """Store how many days finished tasks are kept (0 keeps them forever)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_RETENTION_DAYS:
        raise ValidationError.field(
            "retention_days",
            f"Give a whole number of days from 0 to {MAX_RETENTION_DAYS} (0 keeps them forever).",
        )
    settings.put(RETENTION, days)
    db.session.commit()
