"""A running task's log lines, kept in memory until the store has them.

Lines are stored as they arrive while the store answers. While it does not, they wait, in
order, and go in one transaction once it answers again (provision is never held up: a line
that arrives before the next try is only queued). A commit whose answer was lost may have
landed anyway; before storing again the recorder counts the task's lines above the last one
it knows it stored and drops that many from the front of the queue (a transaction lands whole
or not at all). So no line is stored twice and none is lost.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import TaskLog, utcnow
from .store_watch import Backoff, StoreWatch, forget_session, is_hiccup


@dataclass(frozen=True)
class Line:
    """One log line waiting to be stored, with the time it was written."""

    level: str
    message: str
    created_at: datetime


def last_line_id(task_id: int) -> int:
    """The id of the task's newest stored log line (0 when it has none)."""
    return int(
        db.session.scalar(select(func.max(TaskLog.id)).where(TaskLog.task_id == task_id)) or 0
    )


class TaskRecorder:
    """The log of one task while its dispatcher runs it; used by one thread."""

    def __init__(self, task_id: int, watch: StoreWatch, stored_through: int = 0) -> None:
        self.task_id = task_id
        self.watch = watch
        self.waiting: deque[Line] = deque()
        #: Every line of this task with a higher id was stored by this recorder, or by nobody.
        self.stored_through = stored_through
        self._maybe_landed = False
        self._backoff = Backoff(first=0.5, cap=10.0)
        self._next_try = 0.0

    def add(self, level: str, message: str, when: float | None = None) -> None:
        """Queue a line (``when``: provision's timestamp) and store what waits, if it is time."""
        created = datetime.fromtimestamp(when, UTC).replace(tzinfo=None) if when else utcnow()
        self.waiting.append(Line(level, message, created))
        if time.monotonic() >= self._next_try:
            self.try_store()

    def try_store(self) -> bool:
        """Store the waiting lines once; on a hiccup keep them and schedule the next try."""
        started = time.monotonic()
        try:
            self.store()
        except Exception as error:
            if not is_hiccup(error):
                raise
            forget_session()
            self.watch.failed(error, started)
            self._next_try = time.monotonic() + self._backoff.next()
            return False
        self.watch.answered()
        self._backoff.reset()
        self._next_try = 0.0
        return True

    def store(self) -> None:
        """Store every waiting line in one transaction (raises on a hiccup, keeping them)."""
        if self._maybe_landed:
            self._drop_landed()
        if not self.waiting:
            return
        rows = [
            TaskLog(task_id=self.task_id, level=line.level, message=line.message,
                    created_at=line.created_at)
            for line in self.waiting
        ]
        db.session.add_all(rows)
        try:
            db.session.flush()
            newest = max(row.id for row in rows)
            self._maybe_landed = True  # from here on, a lost answer hides whether it landed
            db.session.commit()
        except Exception:
            forget_session()
            raise
        self._maybe_landed = False
        self.stored_through = newest
        for _ in rows:
            self.waiting.popleft()

    def _drop_landed(self) -> None:
        """After a lost answer: forget the waiting lines that the store has after all."""
        landed = list(
            db.session.scalars(
                select(TaskLog.id)
                .where(TaskLog.task_id == self.task_id, TaskLog.id > self.stored_through)
                .order_by(TaskLog.id)
            )
        )
        db.session.commit()
        for _ in landed[: len(self.waiting)]:
            self.waiting.popleft()
        if landed:
            self.stored_through = landed[-1]
        self._maybe_landed = False
