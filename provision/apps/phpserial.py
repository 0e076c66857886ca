"""PHP's ``serialize()`` format, in which Drupal and WordPress store settings.

Reading (``unserialize``) and rewriting the strings inside a value with their byte lengths
recomputed (``rewrite_strings``), for the types those settings use: null, booleans, integers,
floats, strings, arrays (→ dict) and objects (→ dict of their properties). Anything else, or a
damaged value, reads as None: the callers treat an unreadable setting as an absent one, and
leave an unreadable value as it is rather than damage it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_STRING = re.compile(rb's:(\d+):"')
_SCALAR = re.compile(rb"(?:N;|b:[01];|i:-?\d+;|d:[^;]*;)")
_ARRAY = re.compile(rb"a:(\d+):\{")
_OBJECT = re.compile(rb'O:(\d+):"(?P<name>[^"]*)":(\d+):\{')
#: The start of a value serialize() writes (what WordPress's is_serialized() looks for).
_LOOKS_SERIALIZED = re.compile(rb'(?:N;|[bid]:[^;]*;|s:\d+:"|a:\d+:\{|O:\d+:")')


class _Reader:
    """A cursor over serialized bytes (string lengths count bytes, not characters)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def until(self, end: bytes) -> bytes:
        stop = self.data.index(end, self.pos)
        chunk = self.data[self.pos:stop]
        self.pos = stop + len(end)
        return chunk

    def take(self, count: int) -> bytes:
        chunk = self.data[self.pos:self.pos + count]
        if len(chunk) != count:
            raise ValueError("truncated")
        self.pos += count
        return chunk

    def value(self) -> Any:
        kind = self.take(1)
        if kind == b"N":
            self.take(1)
            return None
        self.take(1)  # the ':' after the type
        if kind == b"b":
            return self.until(b";") == b"1"
        if kind == b"i":
            return int(self.until(b";"))
        if kind == b"d":
            return float(self.until(b";"))
        if kind == b"s":
            return self.string()
        if kind == b"a":
            return self.items()
        if kind == b"O":
            self.until(b":")  # the class name's length
            self.take(1)
            self.until(b'":')  # the class name
            return self.items()
        raise ValueError(f"unsupported type {kind!r}")

    def string(self) -> str:
        length = int(self.until(b":"))
        self.take(1)  # opening quote
        text = self.take(length).decode("utf-8", errors="replace")
        self.take(2)  # closing quote and ';'
        return text

    def items(self) -> dict[Any, Any]:
        count = int(self.until(b":"))
        self.take(1)  # '{'
        result: dict[Any, Any] = {}
        for _ in range(count):
            key = self.value()
            result[key] = self.value()
        self.take(1)  # '}'
        return result


def unserialize(data: bytes | str | None) -> Any:
    """The value PHP's ``serialize()`` produced ``data`` from; None when it cannot be read."""
    if data is None:
        return None
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        return _Reader(raw).value()
    except (ValueError, IndexError):
        return None


def looks_serialized(data: bytes) -> bool:
    """True when ``data`` starts and ends as a value PHP's serialize() writes."""
    return (_LOOKS_SERIALIZED.match(data) is not None
            and data.rstrip().endswith((b";", b"}")))


def rewrite_strings(data: bytes, change: Callable[[bytes], bytes]) -> bytes | None:
    """``data`` (PHP-serialized) with every string ``s`` in it replaced by ``change(s)`` and
    its length recomputed (in bytes, as PHP counts); None when ``data`` is not a value
    serialize() writes."""
    out = bytearray()
    try:
        end = _copy_value(data, 0, change, out)
    except (IndexError, ValueError):
        return None
    return bytes(out) if end == len(data) else None


def _copy_value(data: bytes, at: int, change: Callable[[bytes], bytes], out: bytearray) -> int:
    """Copy the value starting at ``at`` into ``out`` (its strings changed); the position
    after it."""
    if match := _SCALAR.match(data, at):
        out += match[0]
        return match.end()
    if match := _STRING.match(data, at):
        start, length = match.end(), int(match[1])
        text = data[start:start + length]
        if len(text) != length or data[start + length:start + length + 2] != b'";':
            raise ValueError("a string's length does not match")
        text = change(text)
        out += b's:%d:"%s";' % (len(text), text)
        return start + length + 2
    if match := _ARRAY.match(data, at):
        members = int(match[1])
    elif (match := _OBJECT.match(data, at)) and len(match["name"]) == int(match[1]):
        members = int(match[3])
    else:
        raise ValueError(f"no serialized value at byte {at}")
    out += match[0]
    at = match.end()
    for _ in range(members * 2):  # keys and values
        at = _copy_value(data, at, change, out)
    if data[at:at + 1] != b"}":
        raise ValueError("an array is not closed")
    out += b"}"
    return at + 1
