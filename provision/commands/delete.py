"""``provision @site delete``: backup, database, user, folder, vhost, credentials file and
context removed.

The backup is the commit point: a delete stopped before it has changed nothing; after it, the
removals are its cleanup, run to the end even by a recovery after a kill. Only the database
named in the context is dropped, never one guessed from the uri. Pieces that are already gone
are warnings, and the delete still succeeds.

``provision @platform delete`` refuses while any site context names the platform; otherwise it
removes the platform's web server file and its context, and its codebase when that lies in the
aegir root's ``platforms/`` folder (a codebase kept elsewhere is left where it is).

``provision @server delete`` refuses for ``@server_master`` and while a platform or site
context names the server; otherwise it removes the include file its web server reads (then
tests and reloads that web server), its ``config/<server>`` folder and its context.
"""

from __future__ import annotations

from typing import Any

from ..contexts.model import PlatformContext, ServerContext, SiteContext
from ..errors import ProvisionError
from ..orphans import MASTER
from ..services.http.base import HttpService
from ..sites.backup import backup_site
from ..sites.drush_aliases import remove_aliases_after_commit
from ..sites.stepping import Steps
from ..sites.steps import db_service, http_service, site_of
from ..tls.site_tls import remove_after_commit as remove_tls_after_commit
from . import Invocation, finish

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Delete the site or platform; for a site the result names the backup taken first."""
    if isinstance(invocation.context, PlatformContext):
        return delete_platform(invocation, invocation.context)
    if isinstance(invocation.context, ServerContext):
        return delete_server(invocation, invocation.context)
    site = site_of(invocation)
    logger = invocation.logger
    journal = invocation.journal
    assert journal is not None
    db = db_service(site)
    db_name = str(site.raw("db_name") or "")
    db_user = str(site.raw("db_user") or "")
    steps = Steps("delete", logger)
    result: dict[str, Any] = {}
    with steps.step("backup", site):
        if db_name and site.site_path.is_dir() and db.database_exists(db_name):
            result = backup_site(site, logger)
        else:
            logger.warning(
                f"No backup of {site.uri} was made: its database or its folder is already gone."
            )
    server = site.db_server.name
    if db_name:
        journal.after_commit({"type": "drop_database", "server": server, "name": db_name,
                               "warn": True})
    else:
        logger.warning(f"The context of {site.name} names no database, so none was dropped.")
    if db_user:
        journal.after_commit({"type": "drop_user", "server": server, "user": db_user,
                               "warn": True})
    if site.web_server.transport.remote:
        journal.after_commit({"type": "remove_tree", "server": site.web_server.name,
                              "path": str(site.site_path)})
    journal.after_commit({"type": "remove_tree", "server": None, "path": str(site.site_path),
                          "warn": "site folder"})
    journal.after_commit({"type": "forget_aliases", "uri": site.uri,
                          "path": str(site.driver.sites_dir / "sites.php"),
                          "platform": site.platform.name})
    http = http_service(site)
    if http is not None:
        journal.after_commit({"type": "remove_config", "server": site.web_server.name,
                              "path": str(http.vhost_file(site)), "warn": "vhost"})
        journal.after_commit({"type": "remove_tree", "server": site.web_server.name,
                              "path": str(http.credentials_file(site)),
                              "warn": "credentials file"})
        remove_tls_after_commit(site, http, journal)
    remove_aliases_after_commit(site, journal)
    journal.after_commit({"type": "delete_context", "name": invocation.name})
    with steps.step("cleanup", site):
        finish(invocation, result)
    logger.success(f"Deleted {site.uri}.")
    return result


def delete_platform(invocation: Invocation, platform: PlatformContext) -> dict[str, Any]:
    """Remove a platform that no site uses any more."""
    logger = invocation.logger
    contexts = invocation.contexts
    journal = invocation.journal
    assert journal is not None
    users = []
    for name in contexts.store.names():
        context = contexts.load(name)
        if isinstance(context, SiteContext) and context.raw("platform") == platform.name:
            users.append(context.name)
    if users:
        raise ProvisionError(
            f"The platform {platform.name} still has sites ({', '.join(users)}); delete them or "
            "move them to another platform first."
        )
    http = platform.web_server.service("http")
    if isinstance(http, HttpService):
        journal.after_commit({"type": "remove_config", "server": platform.web_server.name,
                              "path": str(http.platform_file(platform))})
    root = platform.root
    if platform.web_server.transport.remote:
        journal.after_commit({"type": "remove_tree", "server": platform.web_server.name,
                              "path": str(root)})
    platforms_folder = (contexts.root / "platforms").resolve()
    if root.resolve().is_relative_to(platforms_folder) and root.resolve() != platforms_folder:
        journal.after_commit({"type": "remove_tree", "server": None, "path": str(root)})
    elif root.exists():
        logger.notice(f"Kept the codebase {root}: it lies outside {platforms_folder}.")
    journal.after_commit({"type": "delete_context", "name": invocation.name})
    finish(invocation, {})
    logger.success(f"Deleted the platform {platform.name}.")
    return {}


def delete_server(invocation: Invocation, server: ServerContext) -> dict[str, Any]:
    """Remove a server that no platform or site uses any more."""
    if server.name == MASTER:
        raise ProvisionError(f"{MASTER} is the server provision runs on; it is never deleted.")
    contexts = invocation.contexts
    journal = invocation.journal
    assert journal is not None
    users = []
    for name in contexts.store.names():
        context = contexts.load(name)
        if isinstance(context, PlatformContext):
            uses = server.name in (context.raw("web_server"), context.raw("server"))
        else:
            uses = isinstance(context, SiteContext) and context.raw("db_server") == server.name
        if uses:
            users.append(context.name)
    if users:
        raise ProvisionError(
            f"The server {server.name} is still used by {', '.join(users)}; delete them or "
            "move them to another server first."
        )
    http = server.service("http")
    if isinstance(http, HttpService):
        journal.after_commit({"type": "remove_config", "server": server.name,
                              "path": str(http.include_file)})
        journal.after_commit({"type": "remove_tree", "server": server.name,
                              "path": str(http.config_dir)})
        if server.transport.remote:
            journal.after_commit({"type": "remove_tree", "server": None,
                                  "path": str(http.config_dir)})
    journal.after_commit({"type": "delete_context", "name": invocation.name})
    finish(invocation, {})
    invocation.logger.success(f"Deleted the server {server.name}.")
    return {}
