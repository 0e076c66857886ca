"""Removing one orphan, after finding it again (provision/orphans.py says what counts).

The orphan is looked for once more with the records the front end sends now: a removal never
touches something a record came to own, or a running task started to make, since it was
listed. Web server files go through a checkpoint, the configuration test and a reload, as any
other change of the web server's configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .checkpoint import Checkpoint
from .errors import ProvisionError
from .orphans import KIND_TITLES, Orphan, Owners, find_orphans
from .services.db.mysql import MysqlService
from .services.http.base import HttpService
from .transport import LocalTransport

if TYPE_CHECKING:
    from .contexts import Contexts
    from .contexts.model import ServerContext
    from .log import Logger


def remove_orphan(server: ServerContext, contexts: Contexts, owners: Owners, orphan_id: str,
                  logger: Logger) -> Orphan:
    """Find the orphan ``orphan_id`` (``kind:name``) on ``server`` again, then remove it."""
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
    REMOVERS[kind](server, contexts, orphan, logger)
    logger.success(f"Removed the {title} {name} from {server.name}.")
    return orphan


def _database(server: ServerContext, _contexts: Contexts, orphan: Orphan, logger: Logger) -> None:
    _mysql(server).drop_site_database(orphan.name, logger)


def _db_user(server: ServerContext, _contexts: Contexts, orphan: Orphan, logger: Logger) -> None:
    _mysql(server).drop_site_user(orphan.name, logger)


def _mysql(server: ServerContext) -> MysqlService:
    service = server.service("db")
    assert isinstance(service, MysqlService)  # find_orphans lists databases of mysql only
    return service


def _site_folder(server: ServerContext, _contexts: Contexts, orphan: Orphan,
                 logger: Logger) -> None:
    path = Path(orphan.name)
    transport = LocalTransport() if server.name == "@server_master" else server.transport
    # Drupal leaves a site folder read-only (0555): give the owner write permission first.
    transport.run(["chmod", "-R", "u+w", "--", str(path)])
    transport.remove(path)
    logger.info(f"Removed the folder {path} on {transport.where}.")


def _web_server_file(server: ServerContext, _contexts: Contexts, orphan: Orphan,
                     logger: Logger) -> None:
    path = Path(orphan.name)
    http = server.service("http")
    if not isinstance(http, HttpService) or not path.is_relative_to(http.config_dir / http.type):
        # another web server type's folder: nothing includes it, so no test or reload
        server.transport.remove(path)
        logger.info(f"Removed {path}.")
        return
    with http.config_lock() as lock:
        checkpoint = Checkpoint(server.transport)
        checkpoint.remove(path)
        logger.info(f"Removed {path}.")
        http.apply(checkpoint, lock, logger)


def _context(_server: ServerContext, contexts: Contexts, orphan: Orphan, logger: Logger) -> None:
    contexts.store.delete(orphan.name)
    logger.info(f"Deleted the context {orphan.name}.")


def _backup(_server: ServerContext, _contexts: Contexts, orphan: Orphan, logger: Logger) -> None:
    LocalTransport().remove(Path(orphan.name))
    logger.info(f"Removed the archive {orphan.name}.")


REMOVERS = {
    "database": _database,
    "db_user": _db_user,
    "site_folder": _site_folder,
    "vhost": _web_server_file,
    "platform_config": _web_server_file,
    "context": _context,
    "backup": _backup,
}
