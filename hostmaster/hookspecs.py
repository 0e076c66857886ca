"""Hook specifications of the front end (pluggy project name ``hostmaster``).

A plugin is a module or object registered under the setuptools entry point group
``hostmaster``; the entry point's name is also the name of the feature that switches it on and
off (``hostmaster feature enable|disable NAME``). In its setup.cfg::

    [options.entry_points]
    hostmaster =
        site_environment = hostmaster_site_environment.front_end

Implementations use ``@hookimpl`` and may accept any subset of a hook's arguments, by name.
The back end has hooks of its own (provision/hookspecs.py); a plugin that adds a field to the
site form usually carries it there as a context property and implements both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .models import Entity, Task
    from .queues import BatchQueue
    from .tasks.registry import TaskType

hookspec = pluggy.HookspecMarker("hostmaster")
hookimpl = pluggy.HookimplMarker("hostmaster")


@dataclass(frozen=True)
class EntityField:
    """A field a plugin adds to the form of a server, platform or site.

    Its value is stored with the entity (``plugin_fields``) and, when ``context_property`` is
    set, sent to provision as that context property. ``choices`` makes it a select list;
    ``check`` returns a sentence saying why a value is refused, or None. ``editable`` False
    shows it on the add form only. ``secret`` True makes it a password field that never
    shows its value and is kept encrypted in the store (the back end should declare its
    context property secret too, so that the context file is private).
    """

    name: str
    label: str
    description: str = ""
    default: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    check: Callable[[str], str | None] | None = None
    context_property: str = ""
    editable: bool = True
    secret: bool = False


@dataclass(frozen=True)
class FeatureSpec:
    """An optional feature: its name, what the Features page says, and whether it starts on."""

    name: str
    title: str
    description: str = ""
    enabled_by_default: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@hookspec
def hostmaster_features() -> list[FeatureSpec]:
    """Features this plugin adds. A plugin's own feature (its entry point name) is added for it
    when it declares none of that name."""
    return []


@hookspec
def hostmaster_entity_fields(entity_kind: str) -> list[EntityField]:
    """Fields to add to the forms of ``entity_kind`` (``server``, ``platform``, ``site``)."""
    return []


@hookspec
def hostmaster_context_properties(entity: Entity) -> dict[str, Any]:
    """Extra provision properties for ``entity``'s context, sent with every task on it (and on
    what refers to it). Fields with a ``context_property`` are sent without this hook."""
    return {}


@hookspec
def hostmaster_task_options(task: Task, entity: Entity) -> dict[str, Any]:
    """Options to add to ``task`` just before it runs (they go to provision as its options)."""
    return {}


@hookspec
def hostmaster_task_types() -> list[TaskType]:
    """New task types (``hostmaster.tasks.registry.TaskType``), registered at start-up."""
    return []


@hookspec
def hostmaster_batch_queues() -> list[BatchQueue]:
    """New batch queues (``hostmaster.queues.BatchQueue``), registered at start-up; each is run
    by the dispatcher like the built-in cron, backup and statistics queues."""
    return []
