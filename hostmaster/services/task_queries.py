"""Read-only task queries for the web interface: lists, counts, histories and titles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, false, func, literal, or_, select, union_all

from .. import access
from ..extensions import db
from ..listing import Sorting, contains, search_term, sorted_query
from ..models import ENTITY_MODELS, Entity, Platform, Server, Site, Task, TaskLog, TaskStatus
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


#: The columns the task list sorts by, by the name its query string uses.
TASK_SORTS = {"created": Task.id, "type": Task.type, "status": Task.status}


def task_list(args: Mapping[str, str], status: TaskStatus | None, entity_kind: str | None,
              entity_id: int | None, *, viewer: Any) -> tuple[Select[Any], Sorting]:
    """The task list's query: ``status`` and one entity (from the filter form), ``type`` (a
    task type's name), ``q`` (part of the domain, platform name or host name of the task's
    site, platform or server), ``sort`` and ``dir`` (newest first by default); only the tasks
    ``viewer`` may see."""
    query = access.visible(select(Task), Task, viewer)
    if status is not None:
        query = query.where(Task.status == status)
    if entity_kind is not None and entity_id is not None:
        query = query.where(Task.entity_kind == entity_kind, Task.entity_id == entity_id)
    type_name = (args.get("type") or "").strip()
    if type_name:
        query = query.where(Task.type == type_name[:64])
    term = search_term(args)
    if term:
        query = query.where(or_(*_entities_named(term)))
    return sorted_query(query, args, TASK_SORTS, "created", default_descending=True,
                        tie_breaker=Task.id)


#: Up to this many matching entities of a kind are looked up first, so that the task query
#: can use its (entity_kind, entity_id) index; a broader search uses a subquery instead.
NAMED_ENTITIES = 500


def _entities_named(term: str) -> list[Any]:
    """Conditions matching tasks whose site, platform or server name contains ``term``."""
    pattern = contains(term.lower())
    conditions = []
    for kind, key, name in (("site", Site.id, Site.uri), ("platform", Platform.id, Platform.name),
                            ("server", Server.id, Server.hostname)):
        matching = select(key).where(func.lower(name).like(pattern, escape="\\"))
        ids = list(db.session.scalars(matching.limit(NAMED_ENTITIES + 1)))
        if not ids:
            continue
        wanted = matching if len(ids) > NAMED_ENTITIES else ids
        conditions.append((Task.entity_kind == kind) & Task.entity_id.in_(wanted))
    return conditions or [false()]


def type_names() -> list[tuple[str, str]]:
    """Every task type's (name, title), for the task list's filter, by title."""
    seen = {task_type.name: task_type.title for kind in ENTITY_MODELS
            for task_type in registry.types_for(kind)}
    return sorted(seen.items(), key=lambda item: item[1])


def history_of(entity: Entity, limit: int = 20) -> list[Task]:
    """The newest ``limit`` tasks of a server, platform or site."""
    return list(db.session.scalars(task_select(None, entity.entity_kind, entity.id).limit(limit)))


def interrupted(entity: Entity) -> Task | None:
    """The entity's last finished task, when provision was killed during it and recovery
    rolled it back or completed it (its result says how); else None."""
    last = db.session.scalars(
        task_select(None, entity.entity_kind, entity.id)
        .where(Task.status.in_((TaskStatus.SUCCESS, TaskStatus.WARNING, TaskStatus.ERROR)))
        .limit(1)
    ).first()
    return last if last is not None and (last.result or {}).get("recovery") else None


def entity_titles(tasks: Iterable[Task]) -> dict[tuple[str, int], str]:
    """The title of each task's entity, keyed by (kind, id), in one query for all kinds that
    loads no entity (every page's queue block asks)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for task in tasks:
        wanted[task.entity_kind].add(task.entity_id)
    selects = [
        select(literal(kind), model.id, model.title).where(model.id.in_(ids))
        for kind, ids in sorted(wanted.items())
        if (model := ENTITY_MODELS.get(kind)) is not None
    ]
    if not selects:
        return {}
    return {(kind, entity_id): title
            for kind, entity_id, title in db.session.execute(union_all(*selects))}


def type_title(task: Task) -> str:
    """The human title of a task's type ("Verify"), or its name when the type is unknown."""
    try:
        return registry.get(task.entity_kind, task.type).title
    except KeyError:
        return task.type


def typical_log_length(task: Task) -> int | None:
    """How many log lines the newest earlier successful task of the same type on the same kind
    of entity wrote: about how many steps ``task`` will log (None when none has succeeded)."""
    earlier = db.session.scalar(
        select(Task.id)
        .where(Task.type == task.type, Task.entity_kind == task.entity_kind,
               Task.status == TaskStatus.SUCCESS, Task.id < task.id)
        .order_by(Task.id.desc())
        .limit(1)
    )
    if earlier is None:
        return None
    return db.session.scalar(select(func.count(TaskLog.id)).where(TaskLog.task_id == earlier))
