"""Removing one orphan, after finding it again (provision/orphans.py says what counts).

The orphan is looked for once more with the records the front end sends now: a removal never
touches something a record came to own, or a running task started to make, since it was
listed. The removal is the cleanup of the command's journal (after its commit point, so that
a kill in the middle is finished by recovery); web server files go through the configuration
test and a reload, as any other change of the web server's configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ProvisionError
from .orphans import KIND_TITLES, Orphan, Owners, find_orphans
from .services.http.base import HttpService

if TYPE_CHECKING:
    from .contexts import Contexts
    from .contexts.model import ServerContext
    from .journal import Journal
    from .log import Logger


def remove_orphan(server: ServerContext, contexts: Contexts, owners: Owners, orphan_id: str,
                  logger: Logger, journal: Journal | None,
                  finish_removal: Callable[[Orphan], None]) -> Orphan:
    """Find the orphan ``orphan_id`` (``kind:name``) on ``server`` again, then remove it: the
    removal is the cleanup of the command's journal, run by ``finish_removal``."""
    kind, _, name = orphan_id.partition(":")
    if kind not in KIND_TITLES or not name:
        raise ProvisionError(
            f"{orphan_id!r} names no orphan; give the id a listing shows, e.g. "
            "database:oldsite or vhost:/var/aegir/config/server_master/apache/vhost.d/x."
        )
    found, skipped = find_orphans(server, contexts, owners, {kind})
    orphan = next((item for item in found if item.id == orphan_id), None)
    title = KIND_TITLES[kind]
    if orphan is None:
        if any(item.id == orphan_id for item in skipped):
            raise ProvisionError(
                f"The {title} {name} may be in use by a running task, so it was not removed; "
                "list the orphans again once no task runs."
            )
        raise ProvisionError(
            f"The {title} {name} is not an orphan on {server.name} now (it is gone, or a "
            "record owns it); nothing was removed. List the orphans again."
        )
    if journal is None:
        raise ProvisionError("An orphan is removed only inside a command's journal.")
    journal.after_commit(removal(server, orphan))
    finish_removal(orphan)
    logger.success(f"Removed the {title} {name} from {server.name}.")
    return orphan


def removal(server: ServerContext, orphan: Orphan) -> dict[str, Any]:
    """The journal's cleanup action that removes ``orphan`` (run after the commit point, so a
    kill in the middle is finished by recovery)."""
    kind, name = orphan.kind, orphan.name
    if kind in ("database", "db_user"):
        key = "name" if kind == "database" else "user"
        return {"type": "drop_database" if kind == "database" else "drop_user",
                "server": server.name, key: name}
    if kind in ("vhost", "platform_config"):
        http = server.service("http")
        if isinstance(http, HttpService) and Path(name).is_relative_to(
                http.config_dir / http.type):
            return {"type": "remove_config", "server": server.name, "path": name}
    if kind == "context":
        return {"type": "delete_context", "name": name}
    remote = kind in ("site_folder", "vhost", "platform_config") and server.transport.remote
    return {"type": "remove_tree", "server": server.name if remote else None, "path": name}
