"""``provision @site install``: database, folders, settings, vhost, then the application.

Each step is named, and everything it changes is in the command's journal: on any failure, or
when provision is killed and recovered later, the journal undoes it all (database and user
dropped, folder removed, the platform's alias map and the context put back, vhost removed and
the web server reloaded), and the error reaches the front end with the reason in the log.
"""

from __future__ import annotations

from typing import Any

from ..errors import ProvisionError
from ..sites.driver import call_driver
from ..sites.drush_aliases import write_aliases
from ..sites.folders import ensure_site_folders
from ..sites.stepping import Steps
from ..sites.steps import db_service, save_site, site_credentials, site_of, write_vhost
from ..spoke import master_files, push_site
from ..tls.site_tls import certificate_step
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
    steps = Steps("install", logger)
    transport = master_files()
    with steps.step("database", site):
        created = db_service(site).create_site_database(site.uri, site.web_server, logger)
        site = save_site(invocation, db_name=created.name, db_user=created.user,
                         db_passwd=created.password, site_enabled=True)
        credentials = site_credentials(site)
    with steps.step("settings", site):
        call_driver(driver, "write_platform_settings", site.platform, transport, logger)
        ensure_site_folders(site, logger)
        written = call_driver(driver, "write_settings", site, transport, logger)
        logger.info(f"Wrote the settings: {', '.join(str(path) for path in written)}.")
        push_site(site, logger, content=True)
        write_aliases(site, logger)
    with steps.step("vhost", site):
        write_vhost(site, credentials, logger)
    with steps.step("application", site):
        installed = call_driver(driver, "install_site", site, credentials, logger) or {}
        # The installer may change modes (Drupal makes the folder read-only) and create files.
        ensure_site_folders(site, logger)
        push_site(site, logger, content=True)
    with steps.step("certificate", site):
        certificate = certificate_step(site, logger)
    with steps.step("packages", site):
        packages = call_driver(driver, "site_packages", site, credentials, logger)
        cron_key = installed.get("cron_key") or site.raw("cron_key")
        if cron_key:
            site = save_site(invocation, cron_key=cron_key)
    logger.success(f"Installed {site.uri} (database {created.name}).")
    return {
        "db_name": created.name,
        "db_user": created.user,
        "cron_key": cron_key,
        "login_link": installed.get("login_link"),
        "profile": site.raw("profile"),
        "language": site.raw("language"),
        "packages": packages,
        "certificate": certificate,
    }
