"""Settings: typed values with defaults, read and written through one place.

Every setting is declared in hostmaster/services/setting_registry.py (its type, default, help
and checks); this module reads a value (the stored one, else the default), stores values after
checking them all, and answers the two questions the panel's address raises: where visitors
are sent (``public_url``) and what links in mails start with (``panel_url``).

Secret settings pass through ``_sealed`` and ``_opened`` on their way into and out of the
store: the one place where encryption at rest (hostmaster/store_secrets.py) wraps them, as it
wraps the store's other secrets.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from .. import store_secrets
from ..extensions import db
from ..models import Setting
from .errors import ValidationError
from .setting_checks import parse, problem, shown
from .setting_registry import REGISTRY, SettingSpec, spec

#: The registry's defaults by name (what a setting reads as until someone sets it).
DEFAULTS: dict[str, Any] = {name: found.default for name, found in REGISTRY.items()}


def _sealed(setting: SettingSpec, value: Any) -> Any:
    """What is stored for ``value``: a secret encrypted (hostmaster/store_secrets.py)."""
    return store_secrets.encrypt(str(value or "")) if setting.secret else value


def _opened(setting: SettingSpec, stored: Any) -> Any:
    """The value behind what is stored (the inverse of ``_sealed``); a secret the key file
    cannot decrypt raises SecretsUnreadable with a sentence saying what to do."""
    return store_secrets.decrypt(str(stored or "")) if setting.secret else stored


def get(name: str) -> Any:
    """The value of setting ``name``: the stored one, else its default (KeyError when no
    setting of that name is registered)."""
    setting = REGISTRY[name]
    row = db.session.get(Setting, name)
    if row is None or row.value is None:
        return setting.default
    return _opened(setting, row.value)


def is_set(name: str) -> bool:
    """Whether setting ``name`` has a stored value (rather than its default)."""
    return db.session.get(Setting, REGISTRY[name].name) is not None


def shown_value(name: str) -> str:
    """The value of ``name`` as the Settings page and the CLI show it; a secret only as set or
    not, found without decrypting it (so a missing key file breaks no page that lists it)."""
    setting = REGISTRY[name]
    return shown(setting, holds_secret(name) if setting.secret else get(name))


def holds_secret(name: str) -> bool:
    """Whether the secret setting ``name`` holds a value (read without decrypting it)."""
    row = db.session.get(Setting, REGISTRY[name].name)
    return row is not None and row.value not in (None, "")


def put(name: str, value: Any) -> None:
    """Store a value without checking it (for state the code itself keeps; the caller
    commits). People's values go through ``save``."""
    setting = REGISTRY[name]
    row = db.session.get(Setting, name)
    if row is None:
        db.session.add(Setting(name=name, value=_sealed(setting, value)))
    else:
        row.value = _sealed(setting, value)


def forget(name: str) -> None:
    """Remove the stored value of ``name``, so that it reads as its default (caller commits)."""
    row = db.session.get(Setting, REGISTRY[name].name)
    if row is not None:
        db.session.delete(row)


def save(values: dict[str, Any], *, commit: bool = True) -> None:
    """Check every value, then store them all; raises ValidationError (by setting name),
    having stored none, when any is not acceptable. Text is stored trimmed, except mail
    bodies."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        setting = REGISTRY.get(name)
        if setting is None or not setting.settable:
            errors[name] = [f"There is no setting called {name!r} that people set."]
            continue
        if isinstance(value, str) and setting.kind != "multiline":
            value = value.strip()
        if setting.kind in ("ids", "names"):
            value = sorted(set(value or []))
        found = problem(setting, value)
        if found:
            errors[name] = [found]
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    for name, value in cleaned.items():
        put(name, value)
    if commit:
        db.session.commit()


def set_from_text(name: str, text: str) -> Any:
    """Set ``name`` from text as typed on a command line (checked, committed); its value."""
    setting = spec(name)
    if not setting.settable:
        raise ValidationError.field(name, f"{name} is set by commands, not by hand.")
    value = parse(setting, text)
    save({name: value})
    return value


def reset(name: str) -> None:
    """Forget the stored value of ``name`` (it reads as its default again) and commit."""
    setting = spec(name)
    if not setting.settable:
        raise ValidationError.field(name, f"{name} is set by commands, not by hand.")
    forget(name)
    db.session.commit()


def public_url() -> str:
    """The panel's public address (no trailing slash): where a disabled site sends its
    visitors. "" while it is not set; it is never a loopback address."""
    return str(get("public_url") or "").rstrip("/")


def panel_url() -> str:
    """The address links in mails start with: the public address, else the address the panel
    is served on (HOSTMASTER_URL), for an install that has no public address yet. Never the
    Host header of a request, so that nobody can have a mail point at their own server."""
    return public_url() or str(current_app.config["HOSTMASTER_URL"]).rstrip("/")
