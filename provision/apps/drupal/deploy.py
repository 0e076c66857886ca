"""A deployed Drupal site's database brought up to its platform: pending updates, the domain
of a renamed or cloned site, caches (the ``update`` and ``clear_caches`` actions of the PHP
helpers)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..database_rewrite import RewriteReport, RewriteScope, rewrite_database
from ..helper import run_helper
from ..uri_rewrite import UriRewrite
from .site import _request, _script

if TYPE_CHECKING:
    from ...contexts.model import SiteContext
    from ...log import Logger
    from ..base import DatabaseCredentials
    from .driver import DrupalDriver

#: Every table of the site's database: field data and revisions, blocks, Drupal 7's variables,
#: 8+'s config, paths in ``system`` and ``file_managed``; but the cache bins (7 and 8+) and 8+'s
#: cache tags are emptied: Drupal rebuilds them, and a cached render array is no place to edit.
REWRITE_SCOPE = RewriteScope(cache_tables=re.compile(r"cache|cache_\w+|cachetags"))


def update_database(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
) -> list[str]:
    """Run the pending update functions (hook_update_N); their names."""
    result = run_helper(_script(driver), _request(driver, site, credentials, "update"), logger,
                        action="database update", secrets=(credentials.password,))
    return [str(name) for name in result.get("updates") or []]


def rewrite_site_uri(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials, old_uri: str,
    logger: Logger,
) -> RewriteReport:
    """``old_uri`` → the site's uri in URLs, ``sites/`` paths and values of the site's tables."""
    return rewrite_database(credentials, UriRewrite(old_uri, site.uri), REWRITE_SCOPE)


def clear_caches(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
) -> None:
    """``drupal_flush_all_caches()``."""
    run_helper(_script(driver), _request(driver, site, credentials, "clear_caches"), logger,
               action="cache clear", secrets=(credentials.password,))
    logger.info(f"Cleared the caches of {site.uri}.")
