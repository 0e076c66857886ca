"""Steps restore, migrate and clone share: maintenance mode, a backup, the target context,
the target's vhost, and the removal of what the site leaves behind once it has moved."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contexts.model import PlatformContext, ServerContext, SiteContext
from ..errors import ContextError, ProvisionError
from .backup import backup_site
from .folders import forget_site, remove_site_folder
from .steps import db_service, http_service, site_credentials

if TYPE_CHECKING:
    from ..contexts import Contexts
    from ..log import Logger
    from ..services.db.credentials import SiteCredentials
    from .stepping import Steps

#: Properties of a site context that belong to its database (never copied to a new one).
DATABASE_PROPERTIES = ("db_name", "db_user", "db_passwd")
_ARCHIVE_NAME = re.compile(r"(?P<uri>.+)-\d{8}\.\d{6}\.tar\.gz")


def reference(contexts: Contexts, value: Any, kind: type, what: str) -> str:
    """The context name ``value`` (``@x`` or ``x``) after checking it exists and is a ``kind``."""
    name = "@" + str(value or "").lstrip("@")
    if name == "@" or not contexts.exists(name):
        raise ContextError(
            f"There is no {what} context {name}; verify the {what} first, then run the task "
            "again."
        )
    if not isinstance(contexts.load(name), kind):
        raise ContextError(f"{name} is not a {what}; choose a {what}.")
    return name


def target_platform(contexts: Contexts, value: Any) -> str:
    """The target platform's context name, checked."""
    return reference(contexts, value, PlatformContext, "platform")


def target_db_server(contexts: Contexts, value: Any) -> str:
    """The target database server's context name, checked."""
    return reference(contexts, value, ServerContext, "server")


def stored_properties(contexts: Contexts, name: str) -> dict[str, Any]:
    """The properties stored in context ``name`` (secrets included), to restore it later."""
    stored = contexts.store.read(name)
    if stored is None:
        raise ContextError(f"The context {name} does not exist.")
    return dict(stored.properties)


def restore_properties(contexts: Contexts, name: str, original: dict[str, Any]) -> None:
    """Put context ``name`` back to exactly ``original`` (properties added since are unset)."""
    current = stored_properties(contexts, name)
    given: dict[str, Any] = {key: "null" for key in current if key not in original}
    given.update(original)
    contexts.save(name, given)


def take_offline(site: SiteContext, steps: Steps, logger: Logger) -> SiteCredentials:
    """Send the site's visitors to the "site disabled" page; the undo serves it again."""
    credentials = site_credentials(site)
    http = http_service(site)
    if http is None:
        return credentials
    enabled = bool(site.raw("site_enabled"))
    http.write_vhost(site, credentials, logger, enabled=False)
    steps.undo(f"serve {site.uri} again", lambda: http.write_vhost(
        site, credentials, logger, enabled=enabled))
    logger.info(f"{site.uri} is in maintenance: visitors see the site disabled page.")
    return credentials


def back_up(site: SiteContext, steps: Steps, logger: Logger) -> dict[str, Any]:
    """Back the site up; the undo removes the archive again."""
    result = backup_site(site, logger)
    archive = Path(result["backup_file"])
    steps.undo(f"remove the backup {archive.name}", lambda: archive.unlink(missing_ok=True))
    return result


def serve(site: SiteContext, source: SiteContext | None, steps: Steps, logger: Logger) -> None:
    """Write the moved site's vhost; the undo removes it unless it is the source's own file,
    which the maintenance step's undo rewrites."""
    http = http_service(site)
    if http is None:
        return
    http.write_vhost(site, site_credentials(site), logger, enabled=True)
    source_http = http_service(source) if source is not None else None
    if source_http is None or source is None or (
            source_http.vhost_file(source) != http.vhost_file(site)):
        steps.undo(f"remove the vhost of {site.uri}", lambda: http.remove_vhost(
            site, logger, warn_if_missing=False))


def old_uri_of(archive: Path, default: str) -> str:
    """The uri a backup archive was made from, as its name says (``<uri>-date.time.tar.gz``)."""
    match = _ARCHIVE_NAME.fullmatch(archive.name)
    return match["uri"] if match else default


def backup_in_root(contexts: Contexts, value: Any) -> Path:
    """The backup file ``value``, which must lie in the aegir root's ``backups`` folder."""
    folder = (contexts.root / "backups").resolve()
    path = Path(str(value or ""))
    if not str(value or "") or not path.resolve().is_relative_to(folder):
        raise ProvisionError(
            f"{value!r} is not a backup in {folder}; choose one of the site's backups."
        )
    return path


def remove_source(
    source: SiteContext, target: SiteContext, credentials: SiteCredentials, logger: Logger
) -> None:
    """After a move: the source's folder, alias map entries, vhost and database go (each
    failure is a warning: the site already runs from its new place)."""
    moved_folder = source.site_path != target.site_path
    source_http = http_service(source)
    target_http = http_service(target)
    pieces: list[tuple[str, Callable[[], object]]] = []
    if moved_folder:
        pieces.append(("remove the old folder", lambda: remove_site_folder(source, logger)))
        pieces.append(("forget the old site in its platform's alias map",
                       lambda: forget_site(source, logger)))
    if source_http is not None and (target_http is None or source_http.vhost_file(source)
                                    != target_http.vhost_file(target)):
        pieces.append(("remove the old vhost", lambda: source_http.remove_vhost(source, logger)))
    db = db_service(source)
    pieces.append(("drop the old database", lambda: db.drop_site_database(
        credentials.name, logger)))
    pieces.append(("drop the old database user", lambda: db.drop_site_user(
        credentials.user, logger)))
    for what, action in pieces:
        try:
            action()
        except Exception as error:  # the move is done; leftovers are for the admin to remove
            logger.warning(f"Could not {what} of {source.uri}: {error}; remove it by hand.")
