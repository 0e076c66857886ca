"""The task type registry: what each task does, on what, when it may run, and its results.

A task type is registered once per entity kind. The dispatcher reads ``command`` to run
provision and calls ``on_success`` or ``on_failure`` with the result object in the same
transaction that records the final status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..models import Entity, Task

ResultHandler = Callable[[Task, Any, dict[str, Any]], None]


def no_objection(_entity: Any) -> str | None:
    """The rule of a task that may run whatever the entity's state."""
    return None


@dataclass(frozen=True)
class TaskType:
    """One kind of task on one kind of entity.

    ``refusal`` is the task's availability rule: a sentence saying why the entity's state
    does not allow the task now, or None. The service adds the rules every task shares (not
    on a deleted entity; not queued while the same task is pending, unless
    ``allow_duplicates``); the dispatcher never runs two tasks at once on one entity.
    ``form`` is the Flask-WTF form class of its confirm dialog, or None when the task is
    queued on click; the form's ``arguments()`` become the task's arguments. ``dialog`` is the
    endpoint of a confirm view of the task's own (taking ``entity_id``), for a dialog the
    generic one-form page cannot be (several steps, or tasks queued on other entities).
    ``related`` names other entities the task works with (a migrate's target platform), whose
    contexts provision receives too. ``feature`` names the feature (hostmaster/services/
    features.py) the task belongs to: while it is off the task is neither offered nor queued.
    ``administrators_only``: only users who ``administer hosting`` see such tasks (the doctor's,
    whose logs name what no record owns).
    """

    entity_kind: str
    name: str
    title: str
    command: str
    description: str = ""
    hidden: bool = False
    allow_duplicates: bool = False
    form: type | None = None
    dialog: str = ""
    refusal: Callable[[Any], str | None] = no_objection
    on_success: ResultHandler | None = None
    on_failure: ResultHandler | None = None
    options: Callable[[Task, Any], dict[str, Any]] = field(default=lambda task, entity: {})
    related: Callable[[Task, Any], list[Entity]] = field(default=lambda task, entity: [])
    feature: str = ""
    administrators_only: bool = False


_REGISTRY: dict[tuple[str, str], TaskType] = {}


def register(task_type: TaskType) -> TaskType:
    """Add ``task_type``; a second registration of the same kind and name replaces the first."""
    _REGISTRY[(task_type.entity_kind, task_type.name)] = task_type
    return task_type


def get(entity_kind: str, name: str) -> TaskType:
    """The task type ``name`` for ``entity_kind``; KeyError when there is none."""
    return _REGISTRY[(entity_kind, name)]


def types_for(entity: Entity | str) -> list[TaskType]:
    """Every task type of an entity kind (or of the kind of ``entity``), in registration order."""
    kind = entity if isinstance(entity, str) else entity.entity_kind
    return [t for (k, _), t in _REGISTRY.items() if k == kind]
