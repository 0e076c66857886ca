"""The front end's plugin manager: installed plugins, switched on and off as features.

Plugins come from the setuptools entry point group ``hostmaster`` (see hostmaster/hookspecs.py).
Each is registered under its entry point name, which is also its feature's name; while that
feature is off, none of its hooks is called. Code asks for hook results through the functions
below, never through the manager itself, so the feature check is in one place.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs
from .hookspecs import EntityField, FeatureSpec
from .models.encrypted import plugin_value

if TYPE_CHECKING:
    from .models import Entity, Task

ENTRY_POINT_GROUP = "hostmaster"
#: Form fields and field errors of plugin fields are named ``plugin_<field name>``.
FIELD_PREFIX = "plugin_"


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, with every installed plugin loaded (built on first use)."""
    manager = pluggy.PluginManager("hostmaster")
    manager.add_hookspecs(hookspecs)
    manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return manager


def plugin_names() -> list[str]:
    """The names of the installed plugins (their entry point names)."""
    manager = plugin_manager()
    return sorted(name for name, _ in manager.list_name_plugin() if name is not None)


def plugin_features() -> list[FeatureSpec]:
    """The features plugins declare, plus one per plugin that declares none of its name."""
    manager = plugin_manager()
    found: dict[str, FeatureSpec] = {}
    for specs in manager.hook.hostmaster_features():
        for spec in specs or ():
            found.setdefault(spec.name, spec)
    for name in plugin_names():
        found.setdefault(name, FeatureSpec(name, f"Plugin {name}",
                                           "An installed plugin.", enabled_by_default=True))
    return list(found.values())


def _hook(name: str) -> Any:
    """The hook caller for ``name`` without the plugins whose feature is off."""
    from .services import features

    manager = plugin_manager()
    off = [plugin for plugin_name, plugin in manager.list_name_plugin()
           if plugin_name is not None and not features.enabled(plugin_name)]
    if not off:
        return getattr(manager.hook, name)
    return manager.subset_hook_caller(name, remove_plugins=off)


def entity_fields(entity_kind: str) -> list[EntityField]:
    """The fields the enabled plugins add to the forms of ``entity_kind``, by name."""
    found: dict[str, EntityField] = {}
    for fields in _hook("hostmaster_entity_fields")(entity_kind=entity_kind):
        for entity_field in fields or ():
            found.setdefault(entity_field.name, entity_field)
    return list(found.values())


def secret_field_names(entity_kind: str) -> set[str]:
    """The names of the secret fields any installed plugin adds to ``entity_kind`` (switched
    on or not: a value is kept encrypted whatever the state of its plugin)."""
    manager = plugin_manager()
    return {entity_field.name
            for fields in manager.hook.hostmaster_entity_fields(entity_kind=entity_kind)
            for entity_field in fields or () if entity_field.secret}


def check_field_values(entity_kind: str, values: dict[str, str]) -> dict[str, list[str]]:
    """Field errors (keyed ``plugin_<name>``) of plugin values; empty when they are fine.
    Values of fields no enabled plugin declares are refused too."""
    declared = {f.name: f for f in entity_fields(entity_kind)}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        entity_field = declared.get(name)
        if entity_field is None:
            errors[FIELD_PREFIX + name] = [f"No enabled plugin has a field called {name}."]
            continue
        allowed = [choice for choice, _ in entity_field.choices]
        if allowed and value not in allowed:
            errors[FIELD_PREFIX + name] = [
                f"Choose one of: {', '.join(label for _, label in entity_field.choices)}."]
        elif entity_field.check is not None and (problem := entity_field.check(value)):
            errors[FIELD_PREFIX + name] = [problem]
    return errors


def context_properties(entity: Entity) -> dict[str, Any]:
    """What plugins add to ``entity``'s provision context: the stored values of their fields
    that name a context property, then the hook's own properties.

    A field without a value, or whose plugin is switched off, is sent as None: provision then
    unsets the property, since it keeps what it is not told about.
    """
    stored = entity.plugin_fields or {}
    enabled = {f.name for f in entity_fields(entity.entity_kind)}
    props: dict[str, Any] = {}
    for fields in plugin_manager().hook.hostmaster_entity_fields(entity_kind=entity.entity_kind):
        for entity_field in fields or ():
            if entity_field.context_property:
                value = (plugin_value(stored.get(entity_field.name))
                         if entity_field.name in enabled else None)
                props[entity_field.context_property] = value if value not in ("", None) else None
    for extra in _hook("hostmaster_context_properties")(entity=entity):
        props.update(extra or {})
    return props


def task_options(task: Task, entity: Entity) -> dict[str, Any]:
    """The options the enabled plugins add to ``task`` before it runs."""
    options: dict[str, Any] = {}
    for extra in _hook("hostmaster_task_options")(task=task, entity=entity):
        options.update(extra or {})
    return options


def register_extensions() -> None:
    """Register the task types and batch queues every installed plugin defines (at start-up,
    whatever the state of the plugin's feature)."""
    from .queues import register as register_queue
    from .tasks.registry import register as register_task_type

    manager = plugin_manager()
    for task_types in manager.hook.hostmaster_task_types():
        for task_type in task_types or ():
            register_task_type(task_type)
    for queues in manager.hook.hostmaster_batch_queues():
        for queue in queues or ():
            register_queue(queue)
