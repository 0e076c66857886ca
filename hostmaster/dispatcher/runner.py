"""Running one claimed task: contexts and options to provision, log lines to the store,
then the final status and the task type's result handler in one transaction.

Store hiccups (store_watch.py) never change a task's result: a task whose provision has not
started goes back to the queue; once provision has started, its lines and result wait in
memory until the store takes them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
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
from . import claim, provision_process, recovery
from .recorder import TaskRecorder, last_line_id
from .store_watch import StoreWatch, forget_session, is_hiccup, keep_trying

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


@dataclass(frozen=True)
class Start:
    """What starting provision for a task needs, all read from the store beforehand."""

    argv: list[str]
    payload: dict[str, Any]
    stored_through: int
    missing: str = ""
    #: The task's entity for people ("the site example.com"), for a line after a recovery.
    title: str = ""


def prepare(task_id: int) -> Start:
    """Read what provision needs for the claimed task ``task_id`` (and end the read)."""
    task = db.session.get(Task, task_id)
    if task is None or task.status != TaskStatus.PROCESSING:
        raise LookupError(f"task {task_id} is not claimed")
    stored_through = last_line_id(task_id)
    entity = entity_of(task)
    if entity is None:
        db.session.commit()
        return Start([], {}, stored_through,
                     missing=f"The {task.entity_kind} this task works on no longer exists.")
    task_type = registry.get(task.entity_kind, task.type)
    try:
        payload = {**payload_for(task, entity, task_type), "task_id": task_id}
    except SecretsUnreadable as exc:  # provision never gets an empty password in its place
        db.session.rollback()
        return Start([], {}, stored_through, missing=str(exc))
    argv = provision_command(entity, task_type.command)
    title = f"the {task.entity_kind} {entity.title}"
    db.session.commit()
    return Start(argv, payload, stored_through, title=title)


def provision_command(entity: Entity, verb: str) -> list[str]:
    """``provision --root R --backend @context VERB`` for ``entity``."""
    return [
        *provision_process.provision_argv(current_app.config["PROVISION_COMMAND"]),
        "--root",
        current_app.config["AEGIR_ROOT"],
        "--backend",
        contexts.name_of(entity),
        verb,
    ]


def run_task(
    task_id: int, dispatcher_id: str, watch: StoreWatch | None = None
) -> TaskStatus | None:
    """Run the claimed task ``task_id`` to its end and return its final status.

    Store hiccups never change the result: before provision starts, the task goes back to the
    queue (None is returned); once it has started, its log lines and result are kept in memory
    until the store has them.
    """
    watch = watch or StoreWatch(current_app.config["SQLALCHEMY_DATABASE_URI"])
    started = time.monotonic()
    try:
        start = prepare(task_id)
    except Exception as error:
        if not is_hiccup(error):
            raise
        forget_session()
        watch.failed(error, started)
        keep_trying(watch, lambda: claim.release(task_id, dispatcher_id),
                    f"the return of task {task_id} to the queue (provision never started)")
        log.warning("task %s: back in the queue; provision had not started", task_id)
        return None
    recorder = TaskRecorder(task_id, watch, start.stored_through)
    if start.missing:
        recorder.add("error", start.missing)
        return store_result(recorder, dispatcher_id, None)
    timeout = current_app.config["TASK_TIMEOUT_SECONDS"]
    try:
        outcome = provision_process.run(start.argv, start.payload, recorder.add, timeout)
    except OSError as exc:
        recorder.add("error", f"provision could not be started: {exc.strerror or exc}.")
        return store_result(recorder, dispatcher_id, None)
    if outcome.timed_out or outcome.result is None:
        why = (f"provision ran longer than {timeout:g} seconds and was stopped."
               if outcome.timed_out else f"provision ended without a result (exit status "
               f"{outcome.exit_status}). {' '.join(outcome.stderr[-3:])[-500:]}".strip())
        return store_result(recorder, dispatcher_id, _recovered(start, recorder, why))
    if outcome.exit_status != 0 and not outcome.result.get("error_status"):
        recorder.add("error", f"provision exited with status {outcome.exit_status}.")
    return store_result(recorder, dispatcher_id, outcome.result)


def _recovered(start: Start, recorder: TaskRecorder, why: str) -> dict[str, Any] | None:
    """provision died: recover its journal now and say in the log how the task ended; the
    result to record (the command's own, when recovery completed it)."""
    found = recovery.recover_task(start.argv, recorder.task_id)
    recorder.add("warning" if found.outcome == "completed" else "error", why, None)
    for level, message, when in found.lines:
        recorder.add(level, message, when)
    level, sentence = found.sentence(start.title or "everything")
    recorder.add(level, sentence, None)
    return found.as_result()


def store_result(
    recorder: TaskRecorder, dispatcher_id: str, result: dict[str, Any] | None
) -> TaskStatus:
    """Store the lines still waiting, then the final status and result, however long the
    store takes to answer."""

    def attempt() -> TaskStatus:
        recorder.store()
        return finish(recorder.task_id, dispatcher_id, result)

    return keep_trying(recorder.watch, attempt, f"the result of task {recorder.task_id}")


def finish(task_id: int, dispatcher_id: str | None, result: dict[str, Any] | None) -> TaskStatus:
    """Record the final status and apply the result (or the failure) in one transaction.

    ``dispatcher_id`` None means "whoever held it" (used when a lease expired). A task that
    is no longer ours (its lease expired and another pass ended it), or that this very call
    already ended in a commit whose answer was lost, is left as it is. A store hiccup is
    raised for the caller to try again: nothing of it was stored.
    """
    db.session.rollback()
    task = db.session.get(Task, task_id, with_for_update=True)
    if (
        task is None
        or task.status != TaskStatus.PROCESSING
        or (dispatcher_id is not None and task.dispatcher != dispatcher_id)
    ):
        db.session.rollback()
        if task is None or task.dispatcher != dispatcher_id or task.finished_at is None:
            log.warning("task %s was ended elsewhere; its result is dropped", task_id)
        return task.status if task is not None else TaskStatus.ERROR
    return _record(task, result)


def _record(task: Task, result: dict[str, Any] | None) -> TaskStatus:
    """The final status from the log and ``result``, and the task type's handler; commits."""
    task_id = task.id
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
        if is_hiccup(exc):
            raise  # the store, not the handler: the caller tries the whole finish again
        log.exception("applying the result of task %s failed", task_id)
        db.session.rollback()
        task = db.session.get_one(Task, task_id)
        task.status = TaskStatus.ERROR
        task.finished_at = utcnow()
        task.running_key = None
        task.lease_expires_at = None
        add_log(task, "error", f"Applying the task's result failed: {exc}.")
        db.session.commit()
        return TaskStatus.ERROR
    return task.status  # a handler may lower SUCCESS to WARNING (a welcome mail that failed)


def end_expired(task_id: int) -> bool:
    """End a task whose dispatcher stopped renewing its lease: ERROR, with a line saying so.

    The lease is read again under a row lock, so a dispatcher that renewed it a moment ago
    (after the store came back) keeps its task. True when the task was ended.
    """
    found = _recover_expired(task_id)
    task = _locked_running(task_id)
    if task is None or task.lease_expires_at is None or task.lease_expires_at >= utcnow():
        db.session.rollback()
        return False
    if found is not None and found.outcome == "running" and utcnow() < (
            task.lease_expires_at + timedelta(seconds=current_app.config["TASK_TIMEOUT_SECONDS"])):
        db.session.rollback()  # its provision still runs: a later sweep asks again
        return False
    holder = task.dispatcher or "a dispatcher"
    completed = found is not None and found.outcome == "completed"
    add_log(
        task,
        "warning" if completed else "error",
        f"The dispatcher running this task ({holder}) stopped renewing its lease, which expired "
        f"at {task.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC; the task was ended here.",
    )
    result = None
    if found is not None:
        for level, message, _time in found.lines:
            add_log(task, level, message)
        entity = entity_of(task)
        title = f"the {task.entity_kind}" + (f" {entity.title}" if entity is not None else "")
        add_log(task, *found.sentence(title))
        result = found.as_result()
    _record(task, result)
    return True


def _recover_expired(task_id: int) -> recovery.Recovery | None:
    """Before a task whose dispatcher died is ended: recover its provision's journal (outside
    any row lock: it may take a while). None when its entity is gone."""
    task = db.session.get(Task, task_id)
    entity = entity_of(task) if task is not None else None
    if task is None or entity is None:
        db.session.rollback()
        return None
    argv = provision_command(entity, registry.get(task.entity_kind, task.type).command)
    db.session.rollback()
    return recovery.recover_task(argv, task_id)


def end_with_error(task_id: int, dispatcher_id: str, message: str) -> bool:
    """End the task ``dispatcher_id`` runs as ERROR, ``message`` in its log, in one
    transaction (so that trying again after a lost answer adds no second line)."""
    task = _locked_running(task_id)
    if task is None or task.dispatcher != dispatcher_id:
        db.session.rollback()
        return False
    add_log(task, "error", message)
    _record(task, None)
    return True


def _locked_running(task_id: int) -> Task | None:
    """The PROCESSING task ``task_id`` under a row lock, in a new transaction; else None."""
    db.session.rollback()
    task = db.session.get(Task, task_id, with_for_update=True, populate_existing=True)
    return task if task is not None and task.status == TaskStatus.PROCESSING else None
