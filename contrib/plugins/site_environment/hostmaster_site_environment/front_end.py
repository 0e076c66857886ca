"""The front end's half: the feature, and the field on the site form."""

from __future__ import annotations

from hostmaster.hookspecs import EntityField, FeatureSpec, hookimpl

from . import ENVIRONMENTS, PROPERTY


@hookimpl
def hostmaster_features() -> list[FeatureSpec]:
    return [FeatureSpec(
        "site_environment",
        "Site environment",
        "Sites get an environment (production, staging, development) that their PHP can read.",
    )]


@hookimpl
def hostmaster_entity_fields(entity_kind: str) -> list[EntityField]:
    if entity_kind != "site":
        return []
    return [EntityField(
        "environment",
        "Environment",
        description="What the site is for; its code reads it as HOSTMASTER_ENVIRONMENT.",
        default="production",
        choices=ENVIRONMENTS,
        context_property=PROPERTY,
    )]
