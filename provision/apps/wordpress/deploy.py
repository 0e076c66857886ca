"""A deployed WordPress site's database brought up to its platform: ``wp_upgrade()``, paths
of a renamed site, caches (the ``update`` and ``clear_caches`` actions of the PHP helper)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..helper import run_helper
from ..site_paths import Column, rewrite_paths
from .settings import TABLE_PREFIX
from .site import HELPER, _request

if TYPE_CHECKING:
    from ...contexts.model import SiteContext
    from ...log import Logger
    from ..base import DatabaseCredentials
    from .driver import WordPressDriver

#: Uploads live in sites/<uri>/files: posts, their guids, options and meta name them.
PATH_COLUMNS = (
    Column(f"{TABLE_PREFIX}posts", ("ID",), "post_content"),
    Column(f"{TABLE_PREFIX}posts", ("ID",), "guid"),
    Column(f"{TABLE_PREFIX}options", ("option_id",), "option_value", serialized=True),
    Column(f"{TABLE_PREFIX}postmeta", ("meta_id",), "meta_value", serialized=True),
)


def update_database(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials,
    logger: Logger,
) -> list[str]:
    """``wp_upgrade()`` when the site's ``db_version`` is not the platform's."""
    result = run_helper(HELPER, _request(site, credentials, "update"), logger,
                        action="database update", secrets=(credentials.password,))
    return [str(name) for name in result.get("updates") or []]


def rewrite_site_paths(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials, old_uri: str,
    logger: Logger,
) -> int:
    """``sites/<old_uri>/`` → ``sites/<uri>/`` in posts, options and post meta."""
    return rewrite_paths(credentials, old_uri, site.uri, PATH_COLUMNS)


def clear_caches(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials,
    logger: Logger,
) -> None:
    """The object cache flushed and the transients deleted."""
    run_helper(HELPER, _request(site, credentials, "clear_caches"), logger,
               action="cache clear", secrets=(credentials.password,))
    logger.info(f"Cleared the caches of {site.uri}.")
