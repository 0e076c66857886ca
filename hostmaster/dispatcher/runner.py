"""Running one claimed task: contexts and options to provision, log lines to the store,
then the final status and the task type's result handler in one transaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from .. import plugins
from ..extensions import db
from ..models import Entity, Task, TaskLog, TaskStatus, utcnow
from ..services import contexts
from ..services.tasks import add_log, entity_of
from ..store_secrets import SecretsUnreadable
from ..tasks import registry
from ..tasks.registry import TaskType
from . import provision_process

log = logging.getLogger(__name__)

ERROR_LEVELS = {"error", "failed", "critical"}
WARNING_LEVELS = {"warning"}
#: Values of provision's result that are secrets: the task's result handler gets them (and
#: keeps what it needs encrypted), the task's stored result does not.
SECRET_RESULT_KEYS = ("login_link", "cron_key")


def status_from_log(levels: set[str]) -> TaskStatus:
    """The original's rule: any error → ERROR, else any warning → WARNING, else SUCCESS."""
    if levels & ERROR_LEVELS:
        return TaskStatus.ERROR
    if levels & WARNING_LEVELS:
        return TaskStatus.WARNING
    return TaskStatus.SUCCESS


def payload_for(task: Task, entity: Entity, task_type: TaskType) -> dict[str, Any]:
    """What provision reads on standard input for ``task``: the contexts of its entity and of
    the related ones (each once, those referred to first), and the options: the task's
    arguments, then its type's options, then the plugins'."""
    found: dict[str, dict[str, Any]] = {}
    for other in [*task_type.related(task, entity), entity]:
        for context in contexts.contexts_for(other):
            found.setdefault(context["name"], context)
    return {
        "contexts": list(found.values()),
        "options": {
            **(task.arguments or {}),
            **task_type.options(task, entity),
            **plugins.task_options(task, entity),
        },
    }


def run_task(task_id: int, dispatcher_id: str) -> TaskStatus:
    """Run the claimed task ``task_id`` to its end and return its final status."""
    task = db.session.get(Task, task_id)
    if task is None or task.status != TaskStatus.PROCESSING:
        raise LookupError(f"task {task_id} is not claimed")
    entity = entity_of(task)
    task_type = registry.get(task.entity_kind, task.type)
    if entity is None:
        add_log(task, "error", f"The {task.entity_kind} this task works on no longer exists.")
        db.session.commit()  # finish starts with a rollback
        return finish(task_id, dispatcher_id, None)
    try:
        payload = payload_for(task, entity, task_type)
    except SecretsUnreadable as exc:  # provision never gets an empty password in its place
        db.session.rollback()
        add_log(task, "error", str(exc))
        db.session.commit()  # finish starts with a rollback
        return finish(task_id, dispatcher_id, None)
    argv = [
        *provision_process.provision_argv(current_app.config["PROVISION_COMMAND"]),
        "--root",
        current_app.config["AEGIR_ROOT"],
        "--backend",
        contexts.name_of(entity),
        task_type.command,
    ]
    db.session.commit()

    def store_line(level: str, message: str, time: float | None) -> None:
        created = datetime.fromtimestamp(time, UTC).replace(tzinfo=None) if time else utcnow()
        db.session.add(TaskLog(task_id=task_id, level=level, message=message, created_at=created))
        db.session.commit()

    try:
        outcome = provision_process.run(
            argv, payload, store_line, current_app.config["TASK_TIMEOUT_SECONDS"]
        )
    except OSError as exc:
        db.session.rollback()
        store_line("error", f"provision could not be started: {exc.strerror or exc}.", None)
        return finish(task_id, dispatcher_id, None)
    if outcome.timed_out:
        limit = current_app.config["TASK_TIMEOUT_SECONDS"]
        store_line("error", f"provision ran longer than {limit:g} seconds and was stopped.", None)
    elif outcome.result is None:
        tail = " ".join(outcome.stderr[-3:])[-500:]
        store_line(
            "error",
            f"provision ended without a result (exit status {outcome.exit_status}). {tail}".strip(),
            None,
        )
    elif outcome.exit_status != 0 and not outcome.result.get("error_status"):
        store_line("error", f"provision exited with status {outcome.exit_status}.", None)
    return finish(task_id, dispatcher_id, outcome.result)


def finish(task_id: int, dispatcher_id: str | None, result: dict[str, Any] | None) -> TaskStatus:
    """Record the final status and apply the result (or the failure) in one transaction.

    ``dispatcher_id`` None means "whoever held it" (used when a lease expired). A task that
    is no longer ours (its lease expired and another pass ended it) is left as it is.
    """
    db.session.rollback()
    task = db.session.get(Task, task_id, with_for_update=True)
    if (
        task is None
        or task.status != TaskStatus.PROCESSING
        or (dispatcher_id is not None and task.dispatcher != dispatcher_id)
    ):
        db.session.rollback()
        log.warning("task %s was ended elsewhere; its result is dropped", task_id)
        return task.status if task is not None else TaskStatus.ERROR
    levels = {
        line.level
        for line in db.session.scalars(db.select(TaskLog).where(TaskLog.task_id == task_id))
    }
    status = status_from_log(levels)
    if result is None or result.get("error_status"):
        if status != TaskStatus.ERROR:
            add_log(task, "error", "The task failed.")
        status = TaskStatus.ERROR
    obj = (result or {}).get("object")
    returned = obj if isinstance(obj, dict) else None
    task.status = status
    task.finished_at = utcnow()
    task.running_key = None
    task.lease_expires_at = None
    task.result = None if returned is None else {
        key: value for key, value in returned.items() if key not in SECRET_RESULT_KEYS}
    task_type = registry.get(task.entity_kind, task.type)
    entity = entity_of(task)
    handler = task_type.on_failure if status == TaskStatus.ERROR else task_type.on_success
    try:
        if handler is not None and entity is not None:
            handler(task, entity, returned or {})
        db.session.commit()
    except Exception as exc:  # a handler bug must not leave the task PROCESSING
        log.exception("applying the result of task %s failed", task_id)
        db.session.rollback()
        task = db.session.get(Task, task_id)
        assert task is not None
        task.status = TaskStatus.ERROR
        task.finished_at = utcnow()
        task.running_key = None
        task.lease_expires_at = None
        add_log(task, "error", f"Applying the task's result failed: {exc}.")
        db.session.commit()
        return TaskStatus.ERROR
    return task.status  # a handler may lower SUCCESS to WARNING (a welcome mail that failed)


def end_expired(task_id: int) -> None:
    """End a task whose dispatcher stopped renewing its lease: ERROR, with a line saying so."""
    task = db.session.get(Task, task_id)
    if task is None or task.status != TaskStatus.PROCESSING:
        return
    holder = task.dispatcher or "a dispatcher"
    add_log(
        task,
        "error",
        f"The dispatcher running this task ({holder}) stopped renewing its lease, which expired "
        f"at {task.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC; the task was ended as failed. "
        "Check what it changed, then run it again.",
    )
    db.session.commit()
    finish(task_id, None, None)
