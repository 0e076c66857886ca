"""The fields plugins add to entity forms: built into the form class, checked, stored.

A form class gets the enabled plugins' fields with ``with_plugin_fields``; each appears as
``plugin_<name>`` and the templates render them with the ``plugin_fields`` macro. The values go
to the services as a plain dict (``plugin_values``), which store them in the entity's
``plugin_fields`` column after ``plugins.check_field_values`` found nothing wrong.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Optional

from . import plugins
from .hookspecs import EntityField

PREFIX = plugins.FIELD_PREFIX


def with_plugin_fields(base: type[FlaskForm], entity_kind: str, *, editing: bool) -> type[Any]:
    """``base`` with a field for each enabled plugin field of ``entity_kind`` (on an edit form,
    only the editable ones). The class lists their names in ``plugin_field_names``."""
    fields = [f for f in plugins.entity_fields(entity_kind) if f.editable or not editing]
    attributes: dict[str, Any] = {"plugin_field_names": [PREFIX + f.name for f in fields]}
    for entity_field in fields:
        attributes[PREFIX + entity_field.name] = _form_field(entity_field)
    return type(base.__name__, (base,), attributes)


def _form_field(entity_field: EntityField) -> Any:
    if entity_field.choices:
        return SelectField(
            entity_field.label,
            choices=[SelectChoice(value, label) for value, label in entity_field.choices],
            default=entity_field.default,
            description=entity_field.description,
            validate_choice=False,  # the service checks it (plugins.check_field_values)
        )
    return StringField(
        entity_field.label,
        default=entity_field.default,
        description=entity_field.description,
        validators=[Optional()],
    )


def plugin_values(form: Any) -> dict[str, str]:
    """The plugin fields' values as typed, by field name (without the prefix)."""
    return {
        name.removeprefix(PREFIX): str(getattr(form, name).data or "").strip()
        for name in getattr(form, "plugin_field_names", [])
    }


def stored_values(entity: Any) -> dict[str, str]:
    """An entity's stored plugin values as form defaults (``plugin_<name>`` keys)."""
    return {PREFIX + name: value for name, value in (entity.plugin_fields or {}).items()}
