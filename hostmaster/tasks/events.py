"""A task's live log as server-sent events: one ``line`` event per new log line (its id is
the line's id, so a reconnecting EventSource resumes after the last line it saw), a
``status`` event when the status changes and an ``end`` event once the task has finished.

The stream polls the store (only the lines after the last id sent, and the status) every
``TASK_EVENTS_POLL_SECONDS`` (0.5 s) and ends after ``TASK_EVENTS_SECONDS`` (25 s), so a page
left open never holds a worker for long: the browser reconnects with ``Last-Event-ID``. A
comment line follows ``TASK_EVENTS_HEARTBEAT_SECONDS`` (10 s) of silence. Between polls
the database session is closed, so no transaction stays open while it sleeps (SQLite would
otherwise keep a read snapshot, MariaDB a connection).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Task, TaskLog, TaskStatus

#: How long the browser waits before reconnecting, in milliseconds.
RETRY_MILLISECONDS = 1000


def event(name: str, data: dict[str, Any], event_id: int | None = None) -> str:
    """One server-sent event; its data is JSON (which never holds a raw newline)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def line_data(line: TaskLog) -> dict[str, Any]:
    """One log line as the live log script reads it."""
    return {
        "id": line.id,
        "level": line.level,
        "message": line.message,
        "time": line.created_at.isoformat(timespec="seconds") + "Z",
    }


def status_data(status: TaskStatus) -> dict[str, Any]:
    """A task status as the live log script reads it."""
    return {"status": status.name.lower(), "finished": status.finished}


def poll(task_id: int, after_id: int) -> tuple[TaskStatus | None, list[TaskLog]]:
    """The task's status and its lines after ``after_id``, read in a session closed at once
    (the live page's stream and ``hostmaster task follow`` both poll with it).

    The status is read first: a task's last lines are stored before it is marked finished,
    so once it reads as finished the lines read after it are all there are."""
    try:
        status = db.session.scalar(select(Task.status).where(Task.id == task_id))
        lines = list(
            db.session.scalars(
                select(TaskLog)
                .where(TaskLog.task_id == task_id, TaskLog.id > after_id)
                .order_by(TaskLog.id)
            )
        )
        for line in lines:
            db.session.expunge(line)
        return status, lines
    finally:
        db.session.remove()


def stream(
    task_id: int, after_id: int, seconds: float, poll_seconds: float, heartbeat_seconds: float
) -> Iterator[str]:
    """The events of task ``task_id`` from the line after ``after_id`` on, for ``seconds``,
    with a comment line after ``heartbeat_seconds`` of silence (proxies close idle streams).

    The first poll always sends the current status, so a page that reconnects after the
    task changed state catches up."""
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    deadline = time.monotonic() + seconds
    last_sent = time.monotonic()
    shown: TaskStatus | None = None
    while True:
        status, lines = poll(task_id, after_id)
        sent = bool(lines)
        for line in lines:
            after_id = line.id
            yield event("line", line_data(line), line.id)
        if status is None:  # deleted meanwhile: nothing more will come
            yield event("end", {"status": None, "finished": True})
            return
        if status != shown:
            shown, sent = status, True
            yield event("status", status_data(status))
        if status.finished:
            yield event("end", status_data(status))
            return
        now = time.monotonic()
        if sent:
            last_sent = now
        elif now - last_sent >= heartbeat_seconds:
            last_sent = now
            yield ": still running\n\n"
        if now >= deadline:
            return
        time.sleep(poll_seconds)
