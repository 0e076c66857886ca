"""``provision @server orphans --known=JSON``: what no record owns on a server (provision/
orphans.py); the front end sends ``known`` (``hostmaster doctor``). Changes nothing."""

from __future__ import annotations

from typing import Any

from ..contexts.model import ServerContext
from ..errors import ProvisionError
from ..orphans import Owners, find_orphans
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """List the orphans of the server; the result holds them and those skipped as in use."""
    server = invocation.context
    if not isinstance(server, ServerContext):
        raise ProvisionError(f"{invocation.name} is not a server; run orphans on a server.")
    owners = Owners.from_options(invocation.options, invocation.contexts.root)
    found, skipped = find_orphans(server, invocation.contexts, owners)
    logger = invocation.logger
    for orphan in found:
        logger.info(f"Orphan {orphan.id} ({orphan.detail}).")
    for orphan in skipped:
        logger.info(f"Not listed, a running task may be making it: {orphan.id}.")
    logger.success(f"{len(found)} orphan{'' if len(found) == 1 else 's'} on {server.name}.")
    return {"server": server.name, "orphans": [o.as_dict() for o in found],
            "skipped": [o.as_dict() for o in skipped]}
