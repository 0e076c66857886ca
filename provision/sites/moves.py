"""Steps restore, migrate and clone share: maintenance mode, the target context, the target's
vhost, and the cleanup of what the site leaves behind once it has moved (declared in the
journal before the commit point, run after it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contexts.model import PlatformContext, ServerContext, SiteContext
from ..errors import ContextError, ProvisionError
from ..tls.site_tls import remove_after_commit as remove_tls_after_commit
from .drush_aliases import remove_aliases_after_commit
from .steps import http_service, site_credentials

if TYPE_CHECKING:
    from ..contexts import Contexts
    from ..journal import Journal
    from ..log import Logger
    from ..services.db.credentials import SiteCredentials

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


def renamed_aliases(original: dict[str, Any], old_uri: str, new_uri: str,
                    options: dict[str, Any]) -> dict[str, Any]:
    """The aliases of a site renamed from ``old_uri`` to ``new_uri``: those the options give
    (``aliases``, ``redirect_aliases``), else the site's own, never the new uri; with
    ``keep_old_uri`` the old uri becomes an alias that redirects to the new one."""
    served = options["aliases"] if "aliases" in options else original.get("aliases") or []
    redirected = (options["redirect_aliases"] if "redirect_aliases" in options
                  else original.get("redirect_aliases") or [])
    if original.get("redirection") and "aliases" not in options:
        served, redirected = [], [*served, *redirected]  # the site-wide switch, spelt out
    kept = [old_uri] if options.get("keep_old_uri") else []
    return {
        "aliases": [alias for alias in served if alias not in (new_uri, old_uri)],
        "redirect_aliases": list(dict.fromkeys(
            alias for alias in [*redirected, *kept] if alias != new_uri)),
        "redirection": False,
    }


def take_offline(site: SiteContext, logger: Logger) -> SiteCredentials:
    """Send the site's visitors to the "site disabled" page (the journal puts its vhost back
    should the command be undone)."""
    credentials = site_credentials(site)
    http = http_service(site)
    if http is None:
        return credentials
    http.write_vhost(site, credentials, logger, enabled=False)
    logger.info(f"{site.uri} is in maintenance: visitors see the site disabled page.")
    return credentials


def serve(site: SiteContext, logger: Logger) -> None:
    """Write the moved site's vhost, serving it."""
    http = http_service(site)
    if http is not None:
        http.write_vhost(site, site_credentials(site), logger, enabled=True)


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


def declare_source_cleanup(
    journal: Journal, source: SiteContext, target: SiteContext, credentials: SiteCredentials
) -> None:
    """What goes once a move has reached its commit point: the source's folder (on the master
    and on its web server), its entries in its platform's alias map, its vhost and credentials
    file, its database and user. Declared before the commit point, run after it (and by
    recovery, if killed)."""
    if source.uri != target.uri:
        remove_aliases_after_commit(source, journal)
    if source.site_path != target.site_path:
        web_server = source.web_server
        if web_server.transport.remote:
            journal.after_commit({"type": "remove_tree", "server": web_server.name,
                                  "path": str(source.site_path)})
        journal.after_commit({"type": "remove_tree", "server": None,
                              "path": str(source.site_path)})
        journal.after_commit({"type": "forget_aliases", "uri": source.uri,
                              "path": str(source.driver.sites_dir / "sites.php"),
                              "platform": source.platform.name})
    source_http, target_http = http_service(source), http_service(target)
    # Both paths name the server (config/<server>/...): a move to another server differs too.
    if source_http is not None and (target_http is None or source_http.vhost_file(source)
                                    != target_http.vhost_file(target)):
        journal.after_commit({"type": "remove_config", "server": source.web_server.name,
                              "path": str(source_http.vhost_file(source))})
        journal.after_commit({"type": "remove_tree", "server": source.web_server.name,
                              "path": str(source_http.credentials_file(source))})
        remove_tls_after_commit(source, source_http, journal)
    server = source.db_server.name
    journal.after_commit({"type": "drop_database", "server": server, "name": credentials.name})
    journal.after_commit({"type": "drop_user", "server": server, "user": credentials.user})
