"""``provision show @name``: a context's properties, secrets shown as ``********``."""

from __future__ import annotations

from typing import Any

from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """The context's name, type and stored properties (secrets masked)."""
    context = invocation.context
    assert context is not None  # CONTEXT = "required": the runner loaded it
    return {
        "name": context.name,
        "context_type": context.context_type,
        "properties": context.shown_properties(),
    }
