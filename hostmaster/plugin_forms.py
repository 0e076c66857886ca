"""The fields plugins add to entity forms: built into the form class, checked, stored.

A form class gets the enabled plugins' fields with ``with_plugin_fields``; each appears as
``plugin_<name>`` and the templates render them with the ``plugin_fields`` macro. The values go
to the services as a plain dict (``plugin_values``), which store them in the entity's
``plugin_fields`` column after ``plugins.check_field_values`` found nothing wrong. A secret
field is a password field: its stored value is never sent back to the browser, and left
empty it keeps the stored value.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Optional

from . import plugins
from .hookspecs import EntityField
from .models.encrypted import is_encrypted_value

PREFIX = plugins.FIELD_PREFIX


def with_plugin_fields(base: type[FlaskForm], entity_kind: str, *, editing: bool) -> type[Any]:
    """``base`` with a field for each enabled plugin field of ``entity_kind`` (on an edit form,
    only the editable ones). The class lists their names in ``plugin_field_names``."""
    fields = [f for f in plugins.entity_fields(entity_kind) if f.editable or not editing]
    attributes: dict[str, Any] = {
        "plugin_field_names": [PREFIX + f.name for f in fields],
        "plugin_secret_names": {PREFIX + f.name for f in fields if f.secret},
    }
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
    if entity_field.secret:
        return PasswordField(
            entity_field.label,
            description=" ".join(filter(None, (
                entity_field.description, "Kept encrypted; leave it empty to keep the value "
                "stored."))),
            validators=[Optional()],
            render_kw={"autocomplete": "new-password"},
        )
    return StringField(
        entity_field.label,
        default=entity_field.default,
        description=entity_field.description,
        validators=[Optional()],
    )


def plugin_values(form: Any) -> dict[str, str]:
    """The plugin fields' values as typed, by field name (without the prefix); a secret
    field left empty is left out, so that the stored value stays."""
    values = {
        name: str(getattr(form, name).data or "").strip()
        for name in getattr(form, "plugin_field_names", [])
    }
    secret: set[str] = getattr(form, "plugin_secret_names", set())
    return {name.removeprefix(PREFIX): value for name, value in values.items()
            if value or name not in secret}


def stored_values(entity: Any) -> dict[str, str]:
    """An entity's stored plugin values as form defaults (``plugin_<name>`` keys), without
    the secret ones."""
    return {PREFIX + name: value for name, value in (entity.plugin_fields or {}).items()
            if not is_encrypted_value(value)}
