"""Which properties a context may hold: its type's own, its services', and plugins'."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ContextError
from ..plugins import plugin_manager, service_types
from .properties import BASE_PROPERTIES, CONTEXT_TYPES, Property, service_type_property

#: The services every server has, even when no plugin adds another kind.
CORE_SERVICES = ("http", "db")


def check_context_type(context_type: str) -> str:
    """``context_type`` itself when provision knows it; otherwise a ContextError."""
    if context_type not in CONTEXT_TYPES:
        raise ContextError(
            f"The context type {context_type!r} is not known: use one of "
            f"{', '.join(CONTEXT_TYPES)}."
        )
    return context_type


def service_kinds() -> list[str]:
    """Every kind of service a server can have (``db``, ``http`` and those plugins add)."""
    return sorted(set(CORE_SERVICES) | {kind for kind, _ in service_types()})


def service_type_names(kind: str) -> list[str]:
    """The types available for service ``kind``, ``null`` included."""
    return sorted({type_ for service, type_ in service_types() if service == kind} | {"null"})


def definitions(context_type: str, stored: Mapping[str, Any]) -> dict[str, Property]:
    """The properties a ``context_type`` context with ``stored`` values may hold.

    A server's set depends on its services: ``http_service_type=apache`` brings the
    properties the apache service adds (``http_port`` ...).
    """
    check_context_type(context_type)
    found = {prop.name: prop for prop in BASE_PROPERTIES[context_type]}
    if context_type == "server":
        classes = service_types()
        for kind in service_kinds():
            selector = service_type_property(kind)
            found[selector.name] = selector
            chosen = selector.convert(stored.get(selector.name, "null"))
            service_class = classes.get((kind, chosen))
            if service_class is not None:
                found.update((prop.name, prop) for prop in service_class.properties())
    for extra in plugin_manager().hook.provision_context_properties(context_type=context_type):
        found.update((prop.name, prop) for prop in extra or ())
    return found
