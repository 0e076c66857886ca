"""``provision save @name --context_type=... --key=value ... [--delete]``: create a context,
change the properties given (each is checked, and the string ``null`` unsets one) or remove it.

The properties of each context type are listed in docs/protocol.md.
"""

from __future__ import annotations

from typing import Any

from . import Invocation

CONTEXT = "optional"


def run(invocation: Invocation) -> dict[str, Any]:
    """Create, update (only the given properties) or, with ``--delete``, remove a context."""
    options = dict(invocation.options)
    if options.pop("delete", False) in (True, "1", "true", "yes"):
        if invocation.contexts.delete(invocation.name):
            invocation.logger.info(f"Deleted the context {invocation.name}.")
        else:
            invocation.logger.notice(f"There was no context {invocation.name} to delete.")
        invocation.context = None
        return {"deleted": True}
    context = invocation.context = invocation.contexts.save(invocation.name, options)
    path = invocation.contexts.store.path_for(context.name)
    invocation.logger.info(f"Saved the {context.context_type} context {context.name} in {path}.")
    return {"name": invocation.name, "context_type": invocation.context.context_type}
