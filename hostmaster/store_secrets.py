"""Secrets at rest: what the store must keep in order to work (database admin passwords,
secret plugin fields, sites' login links and cron keys) is encrypted before it is written and
decrypted only where it is used.

The key lives in a file of its own (config ``SECRETS_KEY_FILE``: the variable
``HOSTMASTER_SECRET_KEY_FILE``, else ``var/secrets.key``), mode 0600, one Fernet key a line
(``cryptography``'s authenticated encryption): the first line encrypts, every line decrypts,
so a rotation puts a new key first and keeps the old ones until the store is re-encrypted. A
stored secret is ``encrypted-v1:`` and a Fernet token: the prefix names the scheme, so that a
later one can live beside it. The empty string stays empty (nothing to hide).
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from .private_files import FILE_MODE, make_private_folder

log = logging.getLogger(__name__)

PREFIX = "encrypted-v1:"
KEY_FILE_HEADER = (
    "# Hostmaster's key for the secrets in its store (first line encrypts, all decrypt).\n"
    "# Back it up apart from the store: without it, the store's secrets are lost.\n"
)


class SecretsUnreadable(Exception):
    """The store's secrets cannot be encrypted or decrypted; the message says what to do."""


@dataclass(frozen=True)
class _Keyring:
    signature: tuple[int, int, int]
    fernet: MultiFernet


_KEYRINGS: dict[Path, _Keyring] = {}


def key_file() -> Path:
    """The key file of the current app."""
    return Path(current_app.config["SECRETS_KEY_FILE"])


def is_encrypted(stored: str) -> bool:
    """Whether a stored value is an encrypted secret (the empty string is not)."""
    return stored.startswith(PREFIX)


def encrypt(value: str) -> str:
    """``value`` as the store keeps it; creates the key file when there is none yet."""
    if value == "":
        return ""
    return PREFIX + _keyring(create=True).encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    """The secret a stored value holds; raises SecretsUnreadable with a sentence saying why
    not (never an empty string in place of a secret)."""
    if stored == "":
        return ""
    if not is_encrypted(stored):
        raise SecretsUnreadable(
            "A secret in the store is not encrypted; run `hostmaster db upgrade`, which "
            "encrypts the secrets an older version stored in clear.")
    try:
        return _keyring().decrypt(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken:
        raise SecretsUnreadable(
            f"A secret in the store was encrypted with a key that is not in {key_file()}. "
            "Put back the key file backed up with this store (or set "
            "HOSTMASTER_SECRET_KEY_FILE to it); `hostmaster secrets check` counts the "
            "secrets it cannot read.") from None


def reencrypt(stored: str) -> str:
    """A stored value encrypted again with the first key of the file (for a key rotation)."""
    if stored == "":
        return ""
    if not is_encrypted(stored):
        return encrypt(stored)
    token = _keyring().rotate(stored.removeprefix(PREFIX).encode())
    return PREFIX + token.decode()


def read_keys(path: Path) -> list[bytes]:
    """The keys in a key file, the encrypting one first; raises SecretsUnreadable when the
    file is missing, unreadable or holds something that is not a key."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise SecretsUnreadable(
            f"The key file {path}, which encrypts the secrets in the store, is missing. "
            "Put back the copy you backed up (or set HOSTMASTER_SECRET_KEY_FILE to where it "
            "is): without it the database admin passwords and other secrets cannot be "
            "read.") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise SecretsUnreadable(
            f"The key file {path} cannot be read ({reason}); run Hostmaster as the user "
            "that owns it.") from None
    keys = [line.strip().encode() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    try:
        if not keys:
            raise ValueError("no key")
        for key in keys:
            Fernet(key)
    except ValueError:
        raise SecretsUnreadable(
            f"The key file {path} holds no valid key (each line is a key made by "
            "`hostmaster secrets rotate-key`); put back the copy you backed up.") from None
    return keys


def write_keys(path: Path, keys: list[bytes]) -> None:
    """Replace the key file with ``keys`` (the encrypting one first), atomically, 0600."""
    from provision.files import write_atomic

    make_private_folder(path.parent)
    write_atomic(path, KEY_FILE_HEADER + "".join(key.decode() + "\n" for key in keys),
                 FILE_MODE)


def create_key_file(path: Path) -> bool:
    """Create the key file with a new key unless it exists; True when it was created.

    The file appears complete or not at all (a hard link of a finished temporary file), so
    two processes starting at once end up with the same key.
    """
    if path.exists():
        return False
    make_private_folder(path.parent)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(KEY_FILE_HEADER + Fernet.generate_key().decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)
    log.warning("Created %s, the key of the secrets in the store: back it up apart from "
                "the store.", path)
    return True


def _keyring(*, create: bool = False) -> MultiFernet:
    """The keys of the current app's key file, read again whenever the file changes (so a
    rotation by another process is seen without a restart)."""
    path = key_file()
    if create:
        create_key_file(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        read_keys(path)  # raises the sentence about the missing file
        raise
    signature = (info.st_ino, info.st_mtime_ns, info.st_size)
    cached = _KEYRINGS.get(path)
    if cached is None or cached.signature != signature:
        fernet = MultiFernet([Fernet(key) for key in read_keys(path)])
        cached = _KEYRINGS[path] = _Keyring(signature, fernet)
    return cached.fernet
