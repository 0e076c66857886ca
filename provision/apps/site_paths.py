"""Rewriting ``sites/<old uri>`` paths stored in a site's database after a rename or clone.

Drupal and WordPress keep file paths in plain columns (node bodies, module file names) and in
PHP-serialized values (variables, options), where every string carries its byte length: those
are rewritten value by value with the lengths recomputed, and a value that does not parse is
left as it is rather than damaged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import DatabaseCredentials

_STRING = re.compile(rb's:(\d+):"')
_SCALAR = re.compile(rb"(?:N;|b:[01];|i:-?\d+;|d:[^;]*;)")
_ARRAY = re.compile(rb"a:(\d+):\{")
_OBJECT = re.compile(rb'O:(\d+):"')


@dataclass(frozen=True)
class Column:
    """A column that may hold paths: its table, the columns that find its row, and whether
    its values are PHP-serialized."""

    table: str
    keys: tuple[str, ...]
    value: str
    serialized: bool = False


def replace_serialized(data: bytes, old: bytes, new: bytes) -> bytes | None:
    """``data`` (PHP-serialized) with ``old`` replaced by ``new`` inside every string, lengths
    recomputed; None when ``data`` is not a value PHP's serialize() writes."""
    out = bytearray()
    try:
        end = _copy_value(data, 0, old, new, out)
    except (IndexError, ValueError):
        return None
    return bytes(out) if end == len(data) else None


def _copy_value(data: bytes, at: int, old: bytes, new: bytes, out: bytearray) -> int:
    """Copy the value starting at ``at`` into ``out`` (rewritten); the position after it."""
    if match := _SCALAR.match(data, at):
        out += match[0]
        return match.end()
    if match := _STRING.match(data, at):
        start = match.end()
        text = data[start:start + int(match[1])]
        if data[start + len(text):start + len(text) + 2] != b'";' or len(text) != int(match[1]):
            raise ValueError("a string's length does not match")
        text = text.replace(old, new)
        out += b's:%d:"%s";' % (len(text), text)
        return start + int(match[1]) + 2
    if match := _ARRAY.match(data, at):
        out += match[0]
        return _copy_members(data, match.end(), int(match[1]), old, new, out)
    if match := _OBJECT.match(data, at):
        start = match.end()
        name_end = start + int(match[1])
        count = re.compile(rb'":(\d+):\{').match(data, name_end)
        if count is None:
            raise ValueError("an object's header is damaged")
        out += data[at:count.end()]
        return _copy_members(data, count.end(), int(count[1]), old, new, out)
    raise ValueError(f"no serialized value at byte {at}")


def _copy_members(data: bytes, at: int, count: int, old: bytes, new: bytes,
                  out: bytearray) -> int:
    """Copy ``count`` key/value pairs and the closing brace."""
    for _ in range(count * 2):
        at = _copy_value(data, at, old, new, out)
    if data[at:at + 1] != b"}":
        raise ValueError("an array is not closed")
    out += b"}"
    return at + 1


def rewrite_paths(
    credentials: DatabaseCredentials, old_uri: str, new_uri: str, columns: Iterable[Column]
) -> int:
    """Replace ``sites/<old_uri>/`` by ``sites/<new_uri>/`` in ``columns`` (tables that do not
    exist are skipped); the number of values changed."""
    from ..services.db.connection import Credentials, connect, quote_identifier

    old = f"sites/{old_uri}/".encode()
    new = f"sites/{new_uri}/".encode()
    account = Credentials(credentials.host, int(credentials.port), credentials.user,
                          credentials.password)
    connection = connect(account, database=credentials.name)
    changed = 0
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW TABLES")
            tables = {str(row[0]) for row in cursor.fetchall()}
            for column in columns:
                if column.table not in tables:
                    continue
                changed += _rewrite_column(cursor, column, old, new, quote_identifier)
    finally:
        connection.close()
    return changed


def _rewrite_column(cursor: Any, column: Column, old: bytes, new: bytes, quote: Any) -> int:
    """Rewrite one column row by row; the number of rows changed."""
    keys = ", ".join(quote(key) for key in column.keys)
    value = quote(column.value)
    table = quote(column.table)
    cursor.execute(f"SELECT {keys}, {value} FROM {table} WHERE {value} LIKE %s",
                   ("%" + _like(old.decode()) + "%",))
    changed = 0
    for row in cursor.fetchall():
        *key_values, stored = row
        data = stored if isinstance(stored, bytes) else str(stored).encode()
        rewritten = (replace_serialized(data, old, new) if column.serialized
                     else data.replace(old, new))
        if rewritten is None or rewritten == data:
            continue
        where = " AND ".join(f"{quote(key)} = %s" for key in column.keys)
        result: Any = rewritten if isinstance(stored, bytes) else rewritten.decode()
        cursor.execute(f"UPDATE {table} SET {value} = %s WHERE {where}", (result, *key_values))
        changed += 1
    return changed


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching only itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
