"""Context names: ``@``, then letters, digits, ``_``, ``-`` and single dots (the rule is in
provision.validation)."""

from __future__ import annotations

from ..errors import ContextError
from ..validation import InvalidValue, context_name


def validate_name(name: str) -> str:
    """``name`` itself when it is a valid context name; otherwise a ContextError saying why."""
    try:
        return context_name(name)
    except InvalidValue as refusal:
        raise ContextError(str(refusal)) from None


def short_name(name: str) -> str:
    """The name without its ``@`` (used for file and folder names)."""
    return name[1:] if name.startswith("@") else name
