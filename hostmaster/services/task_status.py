"""Update status: recompute a task's status from its log, as the original's button does.

For a finished task, or one stuck as PROCESSING whose dispatcher is gone (its lease expired,
or its process no longer exists on this host): any error line → ERROR, else any warning →
WARNING, else SUCCESS. The running semaphore (``running_key``) is cleared with it, so the
entity can run tasks again. Result handlers are not run: only the status changes.
"""

from __future__ import annotations

import os
import socket

from sqlalchemy import select, update

from ..extensions import db
from ..models import Task, TaskLog, TaskStatus, User, utcnow
from .errors import TaskNotAvailable
from .tasks import add_log
from .transaction import transaction


def dispatcher_is_gone(task: Task) -> bool:
    """True when the dispatcher that claimed ``task`` has stopped: lease run out, or its
    process (``host:pid:suffix``) no longer exists on this host."""
    if task.lease_expires_at is None or task.lease_expires_at < utcnow():
        return True
    host, _, rest = (task.dispatcher or "").partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another host's process: only its lease can tell
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, under another user
    return False


def why_not_updatable(task: Task) -> str | None:
    """None when Update status may be used on ``task`` now; else a sentence saying why not."""
    if task.status == TaskStatus.QUEUED:
        return "A queued task has not run yet, so its log says nothing; cancel it instead."
    if task.status == TaskStatus.PROCESSING and not dispatcher_is_gone(task):
        return (
            "This task is still running (its dispatcher keeps renewing its lease); its status "
            "is set when it ends."
        )
    return None


def status_of_log(task_id: int) -> TaskStatus:
    """The status a task's log calls for: any error → ERROR, any warning → WARNING, else SUCCESS."""
    from ..dispatcher.runner import status_from_log

    levels = set(db.session.scalars(select(TaskLog.level).where(TaskLog.task_id == task_id)))
    return status_from_log(levels)


def update_status(task: Task, user: User | None = None) -> TaskStatus:
    """Set ``task``'s status from its log (and end it if it was stuck); returns the new status.

    Raises TaskNotAvailable, changing nothing, when the task is queued or still running, or
    when it changed meanwhile (a dispatcher ended it first).
    """
    problem = why_not_updatable(task)
    if problem:
        raise TaskNotAvailable(problem)
    before = task.status
    status = status_of_log(task.id)
    values: dict[str, object] = {"status": status}
    conditions = [Task.id == task.id, Task.status == before]
    if before == TaskStatus.PROCESSING:
        values.update(finished_at=utcnow(), running_key=None, lease_expires_at=None)
        conditions.append(Task.dispatcher == task.dispatcher)
    with transaction():
        done = db.session.execute(
            update(Task)
            .where(*conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise TaskNotAvailable("The task changed meanwhile; reload the page and look again.")
        who = user.username if user is not None else "Hostmaster"
        add_log(
            task,
            "info",
            f"Status updated from the log by {who}: {before.name.title()} → "
            f"{status.name.title()}.",
        )
    db.session.refresh(task)
    return status
