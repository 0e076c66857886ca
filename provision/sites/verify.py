"""Verifying a site: settings, folders and vhost rewritten, packages read from its database.

With ``--dry-run`` nothing changes: the unified diff of every file verify would rewrite is
logged (settings and sites.php by the driver, the vhost here; the credentials file only
by name), and no folder mode is touched
and no web server reloaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..spoke import master_files, push_site
from ..tls.site_tls import certificate_step
from .driver import call_driver
from .drush_aliases import write_aliases
from .folders import ensure_site_folders
from .stepping import Steps
from .steps import http_service, is_dry_run, site_credentials, site_of, write_vhost

if TYPE_CHECKING:
    from ..commands import Invocation


def verify_site(invocation: Invocation) -> dict[str, Any]:
    """Verify the invocation's site (or, with dry_run, show what verify would change)."""
    site = site_of(invocation)
    logger = invocation.logger
    credentials = site_credentials(site)
    driver = site.driver
    transport = master_files()
    if is_dry_run(invocation.options):
        changed = [str(path) for path in ensure_site_folders(site, logger, dry_run=True)]
        written = call_driver(driver, "write_settings", site, transport, logger, dry_run=True)
        changed += [str(path) for path in written]
        http = http_service(site)
        if http is not None:
            diff = http.vhost_diff(site, enabled=bool(site.raw("site_enabled")))
            if diff:
                logger.info(diff)
                changed.append(str(http.vhost_file(site)))
            if http.credentials_outdated(site, credentials):
                # Its content is the password: name the file, never show a diff of it.
                logger.info(f"Would write {http.credentials_file(site)} (not shown: it holds "
                            "the database password).")
                changed.append(str(http.credentials_file(site)))
        logger.success(
            f"Dry run of verify on {site.uri}: {len(changed)} files or folders would change; "
            "nothing was changed."
        )
        return {"dry_run": True, "changes": changed, "db_name": site.raw("db_name"),
                "db_user": site.raw("db_user"), "cron_key": site.raw("cron_key")}
    steps = Steps(invocation.command, logger)
    with steps.step("settings", site):
        ensure_site_folders(site, logger)
        call_driver(driver, "write_settings", site, transport, logger)
        write_aliases(site, logger)
    with steps.step("copy", site):
        push_site(site, logger)
    with steps.step("vhost", site):
        write_vhost(site, credentials, logger)
    with steps.step("certificate", site):
        certificate = certificate_step(site, logger)
    with steps.step("packages", site):
        packages = call_driver(driver, "site_packages", site, credentials, logger)
    logger.success(f"Verified the site {site.uri}.")
    return {
        "db_name": site.raw("db_name"),
        "db_user": site.raw("db_user"),
        "cron_key": site.raw("cron_key"),
        "packages": packages,
        "certificate": certificate,
    }
