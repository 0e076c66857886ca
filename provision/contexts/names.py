"""Context names: ``@`` then letters, digits, ``_``, ``.`` and ``-``."""

from __future__ import annotations

import re

from ..errors import ContextError

NAME_PATTERN = re.compile(r"@[A-Za-z0-9][A-Za-z0-9_.-]{0,254}")


def validate_name(name: str) -> str:
    """``name`` itself when it is a valid context name; otherwise a ContextError saying why."""
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
        raise ContextError(
            f"{name!r} is not a valid context name: use @ followed by letters, digits, _, . "
            "and -, starting with a letter or digit (at most 255 characters), e.g. "
            "@server_master or @example.com."
        )
    return name


def short_name(name: str) -> str:
    """The name without its ``@`` (used for file and folder names)."""
    return name[1:] if name.startswith("@") else name
