"""The Settings page's forms, made from the registry (hostmaster/services/setting_registry.py):
one form per group, a field per setting. Text is read back through the registry's parser, the
one the CLI uses, so the page and ``hostmaster settings set`` take the same values."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from ..form_validators import MailAddress
from ..services import settings
from ..services.errors import ValidationError
from ..services.setting_checks import parse
from ..services.setting_registry import SettingSpec, in_group

#: The groups the Settings page edits itself (the others have pages of their own).
EDITED_HERE = ("panel", "mail", "sites", "https")
FORGET = "forget_"


class SettingsGroupForm(FlaskForm):
    """The settings of one group; ``values()`` reads them as the registry types them."""

    specs: list[SettingSpec] = []
    #: The secret settings that hold a value (their fields say "unchanged").
    stored_secrets: set[str] = set()

    def values(self) -> dict[str, Any]:
        """Each setting's value from the form (a blank secret stays as it is); raises
        ValidationError, by setting name, for text that is not a value."""
        found: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for spec in self.specs:
            data = self[spec.name].data
            if spec.secret:
                if self[FORGET + spec.name].data:
                    found[spec.name] = ""
                elif data:
                    found[spec.name] = data
                continue
            if spec.kind == "bool":
                found[spec.name] = bool(data)
                continue
            try:
                found[spec.name] = parse(spec, str(data or ""))
            except ValidationError as error:
                errors.update(error.errors)
        if errors:
            raise ValidationError(errors)
        return found


def _field(spec: SettingSpec) -> Field:
    """The form field of one setting."""
    help_text = spec.help
    if spec.kind == "bool":
        return BooleanField(spec.title, description=help_text)
    if spec.kind == "choice":
        return SelectField(spec.title, description=help_text, validate_choice=False,
                           choices=[SelectChoice(key, label) for key, label in spec.choices])
    if spec.kind == "multiline":
        return TextAreaField(spec.title, description=help_text, render_kw={"rows": 6})
    if spec.secret:
        return PasswordField(spec.title, description=help_text,
                             render_kw={"autocomplete": "new-password"})
    kind = {"email": EmailField}.get(spec.kind, StringField)
    render_kw: dict[str, Any] = {"spellcheck": "false"}
    if spec.kind == "int":
        render_kw["inputmode"] = "numeric"
    if spec.kind == "url":
        render_kw["placeholder"] = "https://panel.example.com"
    return kind(spec.title, description=help_text, render_kw=render_kw)


def group_form(group: str, *, submitted: bool = False) -> SettingsGroupForm:
    """The form of ``group``, holding the stored values (``submitted``: the request's); the
    settings that commands set (``hostmaster publish`` ...) are not in it."""
    specs = [spec for spec in in_group(group) if spec.settable]
    attributes: dict[str, Any] = {"specs": specs, "submit": SubmitField("Save")}
    data: dict[str, Any] = {}
    for spec in specs:
        attributes[spec.name] = _field(spec)
        if spec.secret:
            attributes[FORGET + spec.name] = BooleanField(f"Forget the stored {spec.title}")
            continue
        value = settings.get(spec.name)
        data[spec.name] = value if spec.kind in ("bool", "choice", "multiline") else (
            "" if value is None else str(value))
    form_class = type(f"Settings{group.title()}Form", (SettingsGroupForm,), attributes)
    source: dict[str, Any] = {} if submitted else {"formdata": None}
    form: SettingsGroupForm = form_class(prefix=group, data=data, **source)
    form.stored_secrets = {spec.name for spec in specs
                           if spec.secret and settings.holds_secret(spec.name)}
    for name in form.stored_secrets:
        form[name].render_kw = {**(form[name].render_kw or {}), "placeholder": "unchanged"}
    return form


class SettingsTestMailForm(FlaskForm):
    """Send a test mail through the saved mail settings."""

    to = EmailField("Send a test mail to",
                    validators=[InputRequired("Enter the address to send the test mail to."),
                                Length(max=254), MailAddress()])
    submit = SubmitField("Send a test mail")
