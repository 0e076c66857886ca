"""Tasks as server-sent events, two streams over one loop (``_follow``):

- a task's live log (``log_stream``): one ``line`` event per new log line (its id is the
  line's id, so a reconnecting EventSource resumes after the last line it saw), a ``status``
  event when the status changes and an ``end`` event, with the task's times, once it finished;
- the statuses of several tasks (``status_stream``), for the sidebar and the entity pages: a
  ``status`` event (with the task's id) whenever one changes, ``end`` once all have finished.

The loop polls the store every ``TASK_EVENTS_POLL_SECONDS`` (0.5 s) and ends after
``TASK_EVENTS_SECONDS`` (25 s), so a page left open never holds a worker for long: the browser
reconnects (with ``Last-Event-ID`` for a log). A comment line follows
``TASK_EVENTS_HEARTBEAT_SECONDS`` (10 s) of silence. Between polls the database session is
closed, so no transaction stays open while it sleeps (SQLite would otherwise keep a read
snapshot, MariaDB a connection).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Task, TaskLog, TaskStatus

#: How long the browser waits before reconnecting, in milliseconds.
RETRY_MILLISECONDS = 1000
#: The most tasks one status stream follows.
MAX_FOLLOWED = 50

#: One poll: the events to send now, and whether the stream is over.
Poll = Callable[[], tuple[list[str], bool]]


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
    """A task status as the live scripts read it."""
    return {"status": status.name.lower(), "finished": status.finished}


def _time(value: datetime | None) -> dict[str, str] | None:
    """A stored time as the pages show it (``<time datetime=... >2025-11-22 14:03``)."""
    if value is None:
        return None
    return {"datetime": value.isoformat(timespec="seconds") + "Z",
            "text": value.strftime("%Y-%m-%d %H:%M"),
            "title": value.strftime("%Y-%m-%d %H:%M:%S") + " UTC"}


def times_data(started: datetime | None, finished: datetime | None) -> dict[str, Any]:
    """A finished task's start, end and duration, so that its page shows them at once."""
    from ..ui import format_duration

    seconds = (finished - started).total_seconds() if started and finished else None
    return {"started": _time(started), "finished_at": _time(finished),
            "duration": format_duration(seconds)}


def _follow(next_events: Poll, seconds: float, poll_seconds: float,
            heartbeat_seconds: float) -> Iterator[str]:
    """The stream: ``next_events`` every ``poll_seconds`` until it says the stream is over
    or ``seconds`` have passed, with a comment after ``heartbeat_seconds`` of silence
    (proxies close idle streams). The session is closed after each poll."""
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    deadline = time.monotonic() + seconds
    last_sent = time.monotonic()
    while True:
        try:
            found, over = next_events()
        finally:
            db.session.remove()
        yield from found
        if over:
            return
        now = time.monotonic()
        if found:
            last_sent = now
        elif now - last_sent >= heartbeat_seconds:
            last_sent = now
            yield ": still running\n\n"
        if now >= deadline:
            return
        time.sleep(poll_seconds)


def poll(task_id: int, after_id: int) -> tuple[TaskStatus | None, list[TaskLog]]:
    """The task's status and its lines after ``after_id``, read in a session closed at once
    (the live page's stream and ``hostmaster task follow`` both poll with it).

    The status is read first: a task's last lines are stored before it is marked finished,
    so once it reads as finished the lines read after it are all there are."""
    try:
        status = db.session.scalar(select(Task.status).where(Task.id == task_id))
        lines = list(db.session.scalars(
            select(TaskLog).where(TaskLog.task_id == task_id, TaskLog.id > after_id)
            .order_by(TaskLog.id)))
        for line in lines:
            db.session.expunge(line)
        return status, lines
    finally:
        db.session.remove()


def log_stream(
    task_id: int, after_id: int, seconds: float, poll_seconds: float, heartbeat_seconds: float
) -> Iterator[str]:
    """The events of task ``task_id``'s log from the line after ``after_id`` on.

    The first poll always sends the current status, so a page that reconnects after the task
    changed state catches up; the end carries the task's times."""
    shown: list[TaskStatus | None] = [None]
    last = [after_id]

    def next_events() -> tuple[list[str], bool]:
        status, lines = poll(task_id, last[0])
        found = [event("line", line_data(line), line.id) for line in lines]
        if lines:
            last[0] = lines[-1].id
        if status is None:  # deleted meanwhile: nothing more will come
            return [*found, event("end", {"status": None, "finished": True})], True
        if status != shown[0]:
            shown[0] = status
            found.append(event("status", status_data(status)))
        if status.finished:
            started, finished = db.session.execute(
                select(Task.started_at, Task.finished_at).where(Task.id == task_id)).one()
            found.append(event("end", {**status_data(status), **times_data(started, finished)}))
        return found, status.finished

    return _follow(next_events, seconds, poll_seconds, heartbeat_seconds)


def status_stream(
    task_ids: list[int], seconds: float, poll_seconds: float, heartbeat_seconds: float
) -> Iterator[str]:
    """A ``status`` event for each task of ``task_ids`` on the first poll and whenever its
    status changes after it; ``end`` once every one has finished (or is gone)."""
    shown: dict[int, TaskStatus | None] = {}

    def next_events() -> tuple[list[str], bool]:
        rows: dict[int, TaskStatus] = {task_id: status for task_id, status in db.session.execute(
            select(Task.id, Task.status).where(Task.id.in_(task_ids)))}
        found = []
        for task_id in task_ids:
            status = rows.get(task_id)
            if task_id not in shown or status != shown[task_id]:
                shown[task_id] = status
                data = status_data(status) if status is not None else {
                    "status": None, "finished": True}
                found.append(event("status", {"id": task_id, **data}))
        over = all(status is None or status.finished for status in shown.values())
        if over:
            found.append(event("end", {"finished": True}))
        return found, over

    return _follow(next_events, seconds, poll_seconds, heartbeat_seconds)
