"""provision's half: the context property, the settings line and the vhost variable."""

from __future__ import annotations

from typing import Any

from provision.contexts.properties import Property
from provision.errors import ContextError
from provision.hookspecs import hookimpl

from . import ENVIRONMENTS, PHP_NAME, PROPERTY


@hookimpl
def provision_context_properties(context_type: str) -> list[Property]:
    if context_type != "site":
        return []
    return [Property(PROPERTY, "the site's environment: production, staging or development")]


def _environment(context: Any) -> str | None:
    """The site's environment, checked; None when it has none."""
    value = context.raw(PROPERTY)
    if not value:
        return None
    if value not in {name for name, _ in ENVIRONMENTS}:
        raise ContextError(
            f"{context.name} has the environment {value!r}; use one of "
            f"{', '.join(name for name, _ in ENVIRONMENTS)}."
        )
    return str(value)


@hookimpl
def provision_site_settings(context: Any, application: str) -> list[str]:
    environment = _environment(context)
    if environment is None:
        return []
    return [f"if (!defined('{PHP_NAME}')) {{ define('{PHP_NAME}', '{environment}'); }}"]


@hookimpl
def provision_site_variables(context: Any) -> dict[str, str]:
    environment = _environment(context)
    return {PHP_NAME: environment} if environment else {}
