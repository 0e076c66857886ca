"""A deployed Drupal site's database brought up to its platform: pending updates, paths of a
renamed site, caches (the ``update`` and ``clear_caches`` actions of the PHP helpers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..helper import run_helper
from ..site_paths import Column, rewrite_paths
from .site import _request, _script

if TYPE_CHECKING:
    from ...contexts.model import SiteContext
    from ...log import Logger
    from ..base import DatabaseCredentials
    from .driver import DrupalDriver

#: Where Drupal 7 and 8+ keep paths of a site's folder.
PATH_COLUMNS = {
    "7": (
        Column("system", ("filename",), "filename"),
        Column("variable", ("name",), "value", serialized=True),
        Column("file_managed", ("fid",), "uri"),
        Column("block_custom", ("bid",), "body"),
        Column("field_data_body", ("entity_type", "entity_id", "revision_id", "delta",
                                   "language"), "body_value"),
        Column("field_revision_body", ("entity_type", "entity_id", "revision_id", "delta",
                                       "language"), "body_value"),
    ),
    "8": (
        Column("file_managed", ("fid",), "uri"),
        Column("node__body", ("entity_id", "revision_id", "delta", "langcode"), "body_value"),
        Column("node_revision__body", ("entity_id", "revision_id", "delta", "langcode"),
               "body_value"),
        Column("block_content__body", ("entity_id", "revision_id", "delta", "langcode"),
               "body_value"),
    ),
}


def update_database(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
) -> list[str]:
    """Run the pending update functions (hook_update_N); their names."""
    result = run_helper(_script(driver), _request(driver, site, credentials, "update"), logger,
                        action="database update", secrets=(credentials.password,))
    return [str(name) for name in result.get("updates") or []]


def rewrite_site_paths(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials, old_uri: str,
    logger: Logger,
) -> int:
    """``sites/<old_uri>/`` → ``sites/<uri>/`` in the tables that hold paths."""
    columns = PATH_COLUMNS["7" if driver.core == "7" else "8"]
    return rewrite_paths(credentials, old_uri, site.uri, columns)


def clear_caches(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
) -> None:
    """``drupal_flush_all_caches()``."""
    run_helper(_script(driver), _request(driver, site, credentials, "clear_caches"), logger,
               action="cache clear", secrets=(credentials.password,))
    logger.info(f"Cleared the caches of {site.uri}.")
