"""Model attributes whose column holds the encrypted form (hostmaster/store_secrets.py).

``Encrypted`` is the clear view of an encrypted column: reading it decrypts, assigning it
encrypts. Rows load without the key, so a missing key file breaks only what needs a secret
(sending a server's context to provision), with a sentence saying what to do, never every
page that lists servers. Secret plugin fields (``EntityField.secret``) are kept in
``plugin_fields`` as ``{"encrypted": "encrypted-v1:..."}``, which no form value can be.
"""

from __future__ import annotations

from typing import Any, overload

from .. import store_secrets

#: How a secret plugin field's value is kept in an entity's ``plugin_fields``.
ENCRYPTED_KEY = "encrypted"


class Encrypted:
    """The decrypted view of the column attribute ``column_attribute``."""

    def __init__(self, column_attribute: str) -> None:
        self.column_attribute = column_attribute

    @overload
    def __get__(self, instance: None, owner: type) -> Encrypted: ...

    @overload
    def __get__(self, instance: object, owner: type) -> str: ...

    def __get__(self, instance: object | None, owner: type) -> Encrypted | str:
        if instance is None:
            return self
        return store_secrets.decrypt(getattr(instance, self.column_attribute) or "")

    def __set__(self, instance: object, value: str) -> None:
        setattr(instance, self.column_attribute, store_secrets.encrypt(value or ""))


def encrypt_plugin_values(entity_kind: str, values: dict[str, Any] | None) -> dict[str, Any]:
    """``values`` with those of secret plugin fields encrypted (values already encrypted, and
    those of other fields, as they are)."""
    from ..plugins import secret_field_names

    secret = secret_field_names(entity_kind)
    return {
        name: {ENCRYPTED_KEY: store_secrets.encrypt(value)}
        if name in secret and isinstance(value, str) and value != "" else value
        for name, value in (values or {}).items()
    }


def plugin_value(stored: Any) -> Any:
    """A stored plugin value in clear (decrypting a secret one)."""
    if isinstance(stored, dict) and isinstance(stored.get(ENCRYPTED_KEY), str):
        return store_secrets.decrypt(stored[ENCRYPTED_KEY])
    return stored


def is_encrypted_value(stored: Any) -> bool:
    """Whether a stored plugin value is a secret one."""
    return isinstance(stored, dict) and ENCRYPTED_KEY in stored
