"""A deployed WordPress site's database brought up to its platform: ``wp_upgrade()``, the
domain of a renamed or cloned site, caches (the ``update`` and ``clear_caches`` actions of the
PHP helper)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from ..database_rewrite import RewriteReport, RewriteScope, rewrite_database, site_connection
from ..helper import run_helper
from ..uri_rewrite import UriRewrite
from .settings import TABLE_PREFIX
from .site import HELPER, _request

if TYPE_CHECKING:
    from ...contexts.model import SiteContext
    from ...log import Logger
    from ..base import DatabaseCredentials
    from .driver import WordPressDriver

#: The site's tables; a post's guid names it for feed readers for good, and WordPress advises
#: never to change it (it is no link: attachments are found by their ``_wp_attached_file``).
REWRITE_SCOPE = RewriteScope(
    prefix=TABLE_PREFIX,
    kept={f"{TABLE_PREFIX}posts.guid": "guids, which WordPress says never to change"},
)
#: The options that hold the site's own address.
SITE_URL_OPTIONS = ("home", "siteurl")


def update_database(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials,
    logger: Logger,
) -> list[str]:
    """``wp_upgrade()`` when the site's ``db_version`` is not the platform's."""
    result = run_helper(HELPER, _request(site, credentials, "update"), logger,
                        action="database update", secrets=(credentials.password,))
    return [str(name) for name in result.get("updates") or []]


def rewrite_site_uri(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials, old_uri: str,
    logger: Logger,
) -> RewriteReport:
    """``old_uri`` → the site's uri in every table of the site (guids kept), and ``home`` and
    ``siteurl`` on the new domain whatever host they named."""
    report = rewrite_database(credentials, UriRewrite(old_uri, site.uri), REWRITE_SCOPE)
    options = f"{TABLE_PREFIX}options"
    with site_connection(credentials) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT option_id, option_value FROM {options} WHERE option_name IN "
                       "(%s, %s)", SITE_URL_OPTIONS)
        for option_id, value in cursor.fetchall():
            address = urlsplit(str(value))
            moved = urlunsplit((address.scheme or "http", site.uri, address.path, "", ""))
            if moved != value:
                cursor.execute(f"UPDATE {options} SET option_value = %s WHERE option_id = %s",
                               (moved, option_id))
                report.changed[options] += 1
    return report


def clear_caches(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials,
    logger: Logger,
) -> None:
    """The object cache flushed and the transients deleted."""
    run_helper(HELPER, _request(site, credentials, "clear_caches"), logger,
               action="cache clear", secrets=(credentials.password,))
    logger.info(f"Cleared the caches of {site.uri}.")
