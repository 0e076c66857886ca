"""A site's old domain rewritten as its new one in stored values, as ``wp search-replace`` does.

Three forms name the site, and only these are rewritten (so that renaming ``b.example`` leaves
``ab.example``, ``b.example.org`` and ``admin@b.example`` alone):

- the host of an absolute URL: ``http://b.example``, ``https://b.example:8080/x``,
  protocol-relative ``//b.example/x``, and ``http:\\/\\/b.example`` as JSON writes it;
- the site's folder: ``sites/b.example`` (followed by ``/``, a quote or the end);
- a value that is the domain and nothing else (the site name the install gave it).

A value PHP serialized is rewritten string by string with the lengths recomputed, serialized
values inside strings too; one that names the old domain but cannot be read is kept as it is
(a damaged length would lose the whole setting) and counted as kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .phpserial import looks_serialized, rewrite_strings

#: What may follow a host without making it a longer name (``b.example.org``, ``b.example-x``).
_HOST_END = rb"(?![A-Za-z0-9_-]|\.[A-Za-z0-9_-])"
#: What may come before it: ``//`` (or ``\/\/`` in JSON), or a ``sites/`` that starts a path
#: segment (``mysites/b.example`` is not a site's folder).
_HOST_START = rb"(?:(?<=//)|(?<=\\/\\/)|(?<=sites/)(?<![A-Za-z0-9_.-]sites/))"


@dataclass
class UriRewrite:
    """The rewrite of ``old`` (a site's domain) as ``new`` in bytes from a database."""

    old: str
    new: str
    _pattern: re.Pattern[bytes] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(_HOST_START + re.escape(self.old.encode()) + _HOST_END,
                                   re.IGNORECASE)

    def text(self, value: bytes) -> bytes:
        """``value`` (plain text) with the old domain rewritten where it names the site."""
        if value.lower() == self.old.encode().lower():
            return self.new.encode()
        return self._pattern.sub(self.new.encode(), value)

    def value(self, value: bytes) -> bytes | None:
        """``value`` rewritten, PHP-serialized values string by string (serialized strings
        inside them too); None when it names the old domain in a serialized value that cannot
        be read, which must then be kept as it is."""
        if self.old.encode().lower() not in value.lower():
            return value
        if not looks_serialized(value):
            return self.text(value)
        return rewrite_strings(value, self._string)

    def _string(self, text: bytes) -> bytes:
        """One string inside a serialized value (itself serialized, as some plugins store)."""
        if looks_serialized(text):
            inner = rewrite_strings(text, self._string)
            if inner is not None:
                return inner
        return self.text(text)
