"""``provision @site delete``: backup, database, user, folder, vhost and context removed.

Only the database named in the context is dropped, never one guessed from the uri. Pieces
that are already gone are warnings, and the delete still succeeds.

``provision @platform delete`` refuses while any site context names the platform; otherwise it
removes the platform's web server file and its context, and its codebase when that lies in the
aegir root's ``platforms/`` folder (a codebase kept elsewhere is left where it is).
"""

from __future__ import annotations

import shutil
from typing import Any

from ..contexts.model import PlatformContext, SiteContext
from ..errors import ProvisionError
from ..sites.backup import backup_site
from ..sites.folders import forget_site, remove_site_folder
from ..sites.steps import db_service, remove_vhost, site_of
from ..spoke import remove_platform_copy
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Delete the site or platform; for a site the result names the backup taken first."""
    if isinstance(invocation.context, PlatformContext):
        return delete_platform(invocation, invocation.context)
    site = site_of(invocation)
    logger = invocation.logger
    db = db_service(site)
    db_name = str(site.raw("db_name") or "")
    db_user = str(site.raw("db_user") or "")
    result: dict[str, Any] = {}
    if db_name and site.site_path.is_dir() and db.database_exists(db_name):
        result = backup_site(site, logger)
    else:
        logger.warning(
            f"No backup of {site.uri} was made: its database or its folder is already gone."
        )
    if db_name:
        db.drop_site_database(db_name, logger)
    else:
        logger.warning(f"The context of {site.name} names no database, so none was dropped.")
    if db_user:
        db.drop_site_user(db_user, logger)
    remove_site_folder(site, logger)
    forget_site(site, logger)
    remove_vhost(site, logger)
    if invocation.contexts.delete(invocation.name):
        logger.info(f"Deleted the context {invocation.name}.")
    logger.success(f"Deleted {site.uri}.")
    return result


def delete_platform(invocation: Invocation, platform: PlatformContext) -> dict[str, Any]:
    """Remove a platform that no site uses any more."""
    logger = invocation.logger
    contexts = invocation.contexts
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
    platform.web_server.service("http").remove_platform(platform, logger)
    remove_platform_copy(platform, logger)
    root = platform.root
    platforms_folder = (contexts.root / "platforms").resolve()
    if root.resolve().is_relative_to(platforms_folder) and root.resolve() != platforms_folder:
        if root.is_dir():
            shutil.rmtree(root)
            logger.info(f"Removed the codebase {root}.")
    elif root.exists():
        logger.notice(f"Kept the codebase {root}: it lies outside {platforms_folder}.")
    if contexts.delete(invocation.name):
        logger.info(f"Deleted the context {invocation.name}.")
    logger.success(f"Deleted the platform {platform.name}.")
    return {}
