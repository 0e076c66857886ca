"""The secrets the store keeps encrypted, seen together: count those the key file cannot
decrypt, and rotate the key (a new one encrypts everything again)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet

from .. import store_secrets
from ..extensions import db
from ..models import OutgoingMail, Platform, Server, ServerService, Setting, Site
from ..models.encrypted import ENCRYPTED_KEY, is_encrypted_value
from ..store_secrets import SecretsUnreadable
from .setting_registry import SPECS

# The model attributes that hold one encrypted value each (and the secret settings' values).
ENCRYPTED_ATTRIBUTES: tuple[tuple[type[Any], str], ...] = (
    (ServerService, "db_password_encrypted"),
    (Site, "cron_key_encrypted"),
    (Site, "login_link_encrypted"),
    (OutgoingMail, "body_encrypted"),
)
# The models whose ``plugin_fields`` may hold secret values.
PLUGIN_FIELD_MODELS: tuple[type[Any], ...] = (Server, Platform, Site)


@dataclass
class SecretsCount:
    """How many secrets the store holds, and how many of them the key file cannot decrypt."""

    stored: int = 0
    unreadable: int = 0
    problem: str = ""


@dataclass
class _StoredSecret:
    row: Any
    attribute: str  # a column attribute, or "plugin_fields:<name>"

    def get(self) -> str:
        if self.attribute.startswith("plugin_fields:"):
            name = self.attribute.partition(":")[2]
            return str(self.row.plugin_fields[name][ENCRYPTED_KEY])
        return str(getattr(self.row, self.attribute))

    def set(self, stored: str) -> None:
        if self.attribute.startswith("plugin_fields:"):
            name = self.attribute.partition(":")[2]
            self.row.plugin_fields = {**self.row.plugin_fields, name: {ENCRYPTED_KEY: stored}}
        else:
            setattr(self.row, self.attribute, stored)


def _stored_secrets() -> Iterator[_StoredSecret]:
    for model, attribute in ENCRYPTED_ATTRIBUTES:
        for row in db.session.scalars(db.select(model)):
            if getattr(row, attribute):
                yield _StoredSecret(row, attribute)
    for setting in SPECS:
        row = db.session.get(Setting, setting.name) if setting.secret else None
        if row is not None and row.value:
            yield _StoredSecret(row, "value")
    for model in PLUGIN_FIELD_MODELS:
        for row in db.session.scalars(db.select(model)):
            for name, value in (row.plugin_fields or {}).items():
                if is_encrypted_value(value):
                    yield _StoredSecret(row, f"plugin_fields:{name}")


def count() -> SecretsCount:
    """Try to decrypt every secret in the store."""
    found = SecretsCount()
    for secret in _stored_secrets():
        found.stored += 1
        try:
            store_secrets.decrypt(secret.get())
        except SecretsUnreadable as exc:
            found.unreadable += 1
            found.problem = found.problem or str(exc)
    return found


def rotate_key(*, forget_old: bool) -> int:
    """Put a new key first in the key file and encrypt every secret again with it (one
    transaction); the old keys stay below it unless ``forget_old``. Returns how many secrets
    were encrypted again. Refuses, changing nothing, while a secret cannot be decrypted."""
    checked = count()
    if checked.unreadable:
        raise SecretsUnreadable(
            f"{checked.unreadable} of the {checked.stored} secrets in the store cannot be "
            f"decrypted, so the key is not rotated. {checked.problem}")
    path = store_secrets.key_file()
    old_keys = store_secrets.read_keys(path) if path.exists() else []
    new_key = Fernet.generate_key()
    # The new key joins the file before any value uses it: a crash leaves both usable.
    store_secrets.write_keys(path, [new_key, *old_keys])
    done = 0
    try:
        for secret in _stored_secrets():
            secret.set(store_secrets.reencrypt(secret.get()))
            done += 1
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if forget_old:
        store_secrets.write_keys(path, [new_key])
    return done
