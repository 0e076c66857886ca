"""Tasks: every change to a server, platform or site is a queued, logged task."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, IntEnumType, TaskStatus, Timestamp, utcnow
from .user import User

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
LogId = BigInteger().with_variant(Integer, "sqlite")


class Task(Base):
    """A unit of work on one entity, run by the dispatcher through provision.

    ``running_key`` is set to "<kind>:<id>" while the task is PROCESSING and is unique, so the
    store itself guarantees that no two tasks run on one entity at once, whatever the number
    of dispatchers. ``lease_expires_at`` is renewed by the dispatcher that runs the task; a
    task whose lease ran out belongs to a dispatcher that died.
    """

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_status_id", "status", "id"),
        Index("ix_task_entity", "entity_kind", "entity_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    entity_kind: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column()
    status: Mapped[TaskStatus] = mapped_column(IntEnumType(TaskStatus), default=TaskStatus.QUEUED)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    dispatcher: Mapped[str] = mapped_column(String(128), default="")
    lease_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    running_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    user: Mapped[User | None] = relationship()

    @property
    def entity_key(self) -> str:
        """ "<kind>:<id>", the key that marks the entity busy while this task runs."""
        return f"{self.entity_kind}:{self.entity_id}"

    @property
    def duration(self) -> float | None:
        """Seconds the task ran, once it has started."""
        if self.started_at is None:
            return None
        end = self.finished_at or utcnow()
        return (end - self.started_at).total_seconds()


#: The largest id a log line can have (the column is a 64-bit integer).
MAX_LOG_ID = 2**63 - 1


class TaskLog(Base):
    """One line of a task's log, stored as provision writes it."""

    __tablename__ = "task_log"

    id: Mapped[int] = mapped_column(LogId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
