"""Queueing tasks, and what people can do with them: cancel, retry, read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..models import (
    Entity,
    ServerStatus,
    SiteStatus,
    Task,
    TaskLog,
    TaskStatus,
    User,
    load_entity,
    utcnow,
)
from ..tasks import registry
from . import features
from .errors import TaskNotAvailable, ValidationError
from .transaction import transaction
from .validation import rules

PENDING = (TaskStatus.QUEUED, TaskStatus.PROCESSING)


def entity_of(task: Task) -> Entity | None:
    """The server, platform or site a task works on."""
    return load_entity(db.session, task.entity_kind, task.entity_id)


def pending_task(entity: Entity, type_name: str) -> Task | None:
    """The queued or running task of this type on ``entity``, if there is one."""
    return db.session.scalar(
        select(Task)
        .where(
            Task.entity_kind == entity.entity_kind,
            Task.entity_id == entity.id,
            Task.type == type_name,
            Task.status.in_(PENDING),
        )
        .limit(1)
    )


def why_unavailable(entity: Entity, type_name: str) -> str | None:
    """None when the task may be queued on ``entity`` now; else a sentence saying why not."""
    try:
        task_type = registry.get(entity.entity_kind, type_name)
    except KeyError:
        return f"There is no '{type_name}' task for a {entity.entity_kind}."
    return _refusal(entity, task_type, lambda name: pending_task(entity, name) is not None)


def _refusal(entity: Entity, task_type: registry.TaskType,
             is_pending: Callable[[str], bool]) -> str | None:
    """Why ``task_type`` may not be queued on ``entity`` now (None when it may);
    ``is_pending(type name)`` tells whether a task of that type is queued or running there."""
    if task_type.feature and not features.enabled(task_type.feature):
        title = features.known().get(task_type.feature)
        name = title.title if title is not None else task_type.feature
        return f"The {name} feature is switched off; an administrator can switch it on."
    if entity.status in (SiteStatus.DELETED, ServerStatus.DELETED):
        return f"{entity.title} is deleted."
    if not task_type.allow_duplicates and is_pending(task_type.name):
        return f"A {task_type.title.lower()} task is already queued or running on {entity.title}."
    return task_type.refusal(entity)


def checked_arguments(
    entity: Entity, task_type: registry.TaskType, arguments: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The task's arguments as its form reads them (a form's ``arguments()``), or a
    ValidationError with the form's messages by field. A task type without a form takes no
    arguments. The values may be what a person typed (strings), JSON values from the API, or
    arguments a form made before (a retry): the form reads all three the same way."""
    given = dict(arguments or {})
    if task_type.form is None:
        if given:
            raise ValidationError.field(
                "arguments", f"The {task_type.title.lower()} task takes no arguments.")
        return {}
    form = task_type.form(formdata=form_data(given), meta={"csrf": False}, entity=entity)
    unknown = sorted(set(given) - set(form._fields) - {"csrf_token", "submit"})
    if unknown:
        raise ValidationError.field("arguments", f"The {task_type.title.lower()} task takes no "
                                    f"argument called {rules.shown(unknown[0])}.")
    if not form.validate():
        raise ValidationError({key or "": [str(m) for m in messages]
                               for key, messages in form.errors.items()})
    checked: dict[str, Any] = form.arguments()
    return checked


def form_data(arguments: Mapping[str, Any]) -> MultiDict[str, str]:
    """Form data from arguments (a list gives the field several values; None is empty)."""
    pairs: list[tuple[str, str]] = []
    for key, value in arguments.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(key), "" if item is None else str(item)))
    return MultiDict(pairs)


def queue(
    entity: Entity,
    type_name: str,
    arguments: Mapping[str, Any] | None = None,
    user: User | None = None,
    *,
    commit: bool = True,
) -> Task:
    """Queue a task on ``entity``: the one way any task is queued (the Run button, its dialog,
    the API, Run again and Hostmaster itself all come here).

    Raises TaskNotAvailable when the task may not run on the entity now, and ValidationError
    when its arguments break its form's rules; either way nothing is queued.
    """
    problem = why_unavailable(entity, type_name)
    if problem:
        raise TaskNotAvailable(problem)
    checked = checked_arguments(entity, registry.get(entity.entity_kind, type_name), arguments)
    task = Task(
        type=type_name,
        entity_kind=entity.entity_kind,
        entity_id=entity.id,
        arguments=checked,
        user_id=user.id if user is not None else None,
        status=TaskStatus.QUEUED,
        created_at=utcnow(),
    )
    if not commit:
        db.session.add(task)
        return task
    with transaction():
        db.session.add(task)
    return task


def available_tasks(entity: Entity) -> list[tuple[registry.TaskType, Task | None, str | None]]:
    """Each visible task type of ``entity`` with its last task and why it is unavailable (two
    queries for all of them: the newest task of each type, the types queued or running)."""
    of_entity = (Task.entity_kind == entity.entity_kind, Task.entity_id == entity.id)
    newest = select(func.max(Task.id)).where(*of_entity).group_by(Task.type)
    last = {task.type: task for task in db.session.scalars(select(Task).where(
        Task.id.in_(newest)))}
    pending = set(db.session.scalars(select(Task.type).where(
        *of_entity, Task.status.in_(PENDING))))
    rows = []
    for task_type in registry.types_for(entity):
        if task_type.hidden or (task_type.feature and not features.enabled(task_type.feature)):
            continue
        rows.append((task_type, last.get(task_type.name),
                      _refusal(entity, task_type, pending.__contains__)))
    return rows


def add_log(task: Task, level: str, message: str) -> TaskLog:
    """Append a line to a task's log (the caller commits)."""
    line = TaskLog(task_id=task.id, level=level, message=message, created_at=utcnow())
    db.session.add(line)
    return line


def last_error(task: Task) -> str:
    """The task's last error line (what a failure says of itself), "" when it logged none."""
    message = db.session.scalar(
        select(TaskLog.message)
        .where(TaskLog.task_id == task.id, TaskLog.level.in_(("error", "failed", "critical")))
        .order_by(TaskLog.id.desc()).limit(1))
    return str(message or "")


def cancel(task: Task) -> None:
    """Cancel a queued task: it ends as WARNING with a log line, as in the original.

    One conditional UPDATE (``WHERE status = QUEUED``), like a claim: a task that a dispatcher
    claimed a moment ago is refused, never marked cancelled while provision runs it.
    """
    with transaction():
        done = db.session.execute(
            update(Task)
            .where(Task.id == task.id, Task.status == TaskStatus.QUEUED)
            .values(status=TaskStatus.WARNING, finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise TaskNotAvailable("Only a queued task can be cancelled.")
        add_log(task, "warning", "Task was cancelled.")
    db.session.refresh(task)


def retry(task: Task, user: User | None = None) -> Task:
    """Queue the same task again (Retry / Run again on a finished task)."""
    if not task.status.finished:
        raise TaskNotAvailable("A task can be run again only once it has finished.")
    entity = entity_of(task)
    if entity is None:
        raise TaskNotAvailable("The task's server, platform or site no longer exists.")
    return queue(entity, task.type, dict(task.arguments or {}), user)


def recent(limit: int = 5, *, viewer: Any = None) -> list[Task]:
    """The newest tasks, for the sidebar's Queues block (those ``viewer`` may see, if given)."""
    from .. import access

    query = select(Task).order_by(Task.id.desc()).limit(limit)
    if viewer is not None:
        query = access.visible(query, Task, viewer)
    return list(db.session.scalars(query))


def log_of(task: Task, after_id: int = 0) -> list[TaskLog]:
    """A task's log lines with an id above ``after_id``, oldest first."""
    return list(
        db.session.scalars(
            select(TaskLog)
            .where(TaskLog.task_id == task.id, TaskLog.id > after_id)
            .order_by(TaskLog.id)
        )
    )
