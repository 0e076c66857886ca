"""Read-only task queries for the web interface: lists, counts, histories and titles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select

from .. import access
from ..extensions import db
from ..models import ENTITY_MODELS, Entity, Task, TaskStatus
from ..tasks import registry


def status_counts(*, viewer: Any = None) -> dict[TaskStatus, int]:
    """How many tasks are in each status; every status is present, zero when it has none.
    Only the tasks ``viewer`` may see are counted, when given."""
    counts = dict.fromkeys(TaskStatus, 0)
    query = select(Task.status, func.count(Task.id)).group_by(Task.status)
    if viewer is not None:
        query = access.visible(query, Task, viewer)
    rows = db.session.execute(query)
    counts.update({TaskStatus(status): count for status, count in rows})
    return counts


def task_select(
    status: TaskStatus | None = None, entity_kind: str | None = None, entity_id: int | None = None
) -> Select[Task]:
    """Tasks, newest first, optionally of one status and of one entity."""
    query = select(Task).order_by(Task.id.desc())
    if status is not None:
        query = query.where(Task.status == status)
    if entity_kind is not None and entity_id is not None:
        query = query.where(Task.entity_kind == entity_kind, Task.entity_id == entity_id)
    return query


def history_of(entity: Entity, limit: int = 20) -> list[Task]:
    """The newest ``limit`` tasks of a server, platform or site."""
    return list(db.session.scalars(task_select(None, entity.entity_kind, entity.id).limit(limit)))


def entity_titles(tasks: Iterable[Task]) -> dict[tuple[str, int], str]:
    """The title of each task's entity, keyed by (kind, id), in one query per kind."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for task in tasks:
        wanted[task.entity_kind].add(task.entity_id)
    titles: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        model: Any = ENTITY_MODELS.get(kind)  # a union of model classes confuses the checker
        if model is None:
            continue
        entities: Iterable[Entity] = db.session.scalars(select(model).where(model.id.in_(ids)))
        for entity in entities:
            titles[(kind, entity.id)] = entity.title
    return titles


def type_title(task: Task) -> str:
    """The human title of a task's type ("Verify"), or its name when the type is unknown."""
    try:
        return registry.get(task.entity_kind, task.type).title
    except KeyError:
        return task.type
