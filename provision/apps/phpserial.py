"""Reading PHP's ``serialize()`` format, in which Drupal and WordPress store settings.

Only reading, and only the types those settings use: null, booleans, integers, floats,
strings, arrays (→ dict) and objects (→ dict of their properties). Anything else, or a damaged
value, reads as None: the callers treat an unreadable setting as an absent one.
"""

from __future__ import annotations

from typing import Any


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
