"""``provision @site install``: database, folders, settings, vhost, then the application.

Every step's undo is remembered; on any failure the undos run in reverse order (database and
user dropped, folder removed, vhost removed and the web server reloaded, context deleted) and
the error reaches the front end with the reason in the log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ProvisionError
from ..sites.driver import call_driver
from ..sites.folders import ensure_site_folders, forget_site, remove_site_folder
from ..sites.steps import (
    db_service,
    http_service,
    save_site,
    site_credentials,
    site_of,
    write_vhost,
)
from ..spoke import master_files, push_site
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Install the site; the result names its database, login link, cron key and packages."""
    site = site_of(invocation)
    logger = invocation.logger
    driver = site.driver
    if site.uri in driver.sites() or (site.site_path / "settings.php").exists():
        raise ProvisionError(
            f"{site.site_path} already holds a site's settings, so {site.uri} was not installed "
            "over it; import that site instead, or delete the folder first."
        )
    undo: list[tuple[str, Callable[[], Any]]] = []
    try:
        db = db_service(site)
        created = db.create_site_database(site.uri, site.web_server, logger)
        undo.append(("drop the database",
                     lambda: db.drop_site_database(created.name, logger, quiet=True)))
        undo.append(("drop the database user",
                     lambda: db.drop_site_user(created.user, logger, quiet=True)))
        site = save_site(invocation, db_name=created.name, db_user=created.user,
                         db_passwd=created.password, site_enabled=True)
        credentials = site_credentials(site)

        transport = master_files()
        call_driver(driver, "write_platform_settings", site.platform, transport, logger)
        undo.append(("forget the site in the platform's files",
                     lambda: forget_site(site, logger)))
        undo.append(("remove the site folder",
                     lambda: remove_site_folder(site, logger, warn_if_missing=False)))
        ensure_site_folders(site, logger)
        written = call_driver(driver, "write_settings", site, transport, logger)
        logger.info(f"Wrote the settings: {', '.join(str(path) for path in written)}.")
        push_site(site, logger, content=True)

        http = http_service(site)
        if http is not None:
            undo.append(("remove the vhost",
                         lambda: http.remove_vhost(site, logger, warn_if_missing=False)))
        write_vhost(site, credentials, logger)

        installed = call_driver(driver, "install_site", site, credentials, logger) or {}
        # The installer may change modes (Drupal makes the folder read-only) and create files.
        ensure_site_folders(site, logger)
        push_site(site, logger, content=True)
        packages = call_driver(driver, "site_packages", site, credentials, logger)
        cron_key = installed.get("cron_key") or site.raw("cron_key")
        if cron_key:
            site = save_site(invocation, cron_key=cron_key)
    except BaseException as error:
        logger.error(f"Installing {site.uri} failed, so everything it created is removed again.")
        _roll_back(invocation, undo, error)
        raise
    logger.success(f"Installed {site.uri} (database {created.name}).")
    return {
        "db_name": created.name,
        "db_user": created.user,
        "cron_key": cron_key,
        "login_link": installed.get("login_link"),
        "profile": site.raw("profile"),
        "language": site.raw("language"),
        "packages": packages,
    }


def _roll_back(
    invocation: Invocation, undo: list[tuple[str, Callable[[], Any]]], error: BaseException
) -> None:
    """Run the undos newest first; one that fails is logged and the others still run."""
    logger = invocation.logger
    for what, step in reversed(undo):
        try:
            step()
        except Exception as failure:  # the original error matters more: keep undoing
            logger.warning(f"Could not {what} while rolling back: {failure}")
    if invocation.contexts.delete(invocation.name):
        logger.info(f"Deleted the context {invocation.name}.")
