"""``provision @server orphan-remove --orphan=ID --known=JSON``: remove one orphan, after
finding it again with the records the front end sends now (provision/orphan_removal.py)."""

from __future__ import annotations

from typing import Any

from ..contexts.model import ServerContext
from ..errors import ProvisionError
from ..orphan_removal import remove_orphan
from ..orphans import Owners
from . import Invocation, finish

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Remove the orphan ``--orphan`` names; the result says which."""
    server = invocation.context
    if not isinstance(server, ServerContext):
        raise ProvisionError(f"{invocation.name} is not a server; orphans belong to servers.")
    orphan_id = str(invocation.options.get("orphan") or "")
    if not orphan_id:
        raise ProvisionError("Say which orphan to remove: --orphan=ID, as a listing shows it.")
    owners = Owners.from_options(invocation.options, invocation.contexts.root)
    removed = remove_orphan(server, invocation.contexts, owners, orphan_id, invocation.logger,
                            invocation.journal, lambda orphan: finish(invocation, {
                                "server": server.name, "removed": orphan.as_dict()}))
    return {"server": server.name, "removed": removed.as_dict()}
