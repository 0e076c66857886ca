"""``provision @site import``: an existing site's credentials, profile and language read from
its live settings file into the context, then a verify."""

from __future__ import annotations

from typing import Any

from ..contexts.model import SiteContext
from ..errors import ApplicationError
from ..services.db.credentials import SiteCredentials
from ..sites.driver import call_driver
from ..sites.steps import http_service, save_site, site_of
from ..sites.verify import verify_site
from . import Invocation

CONTEXT = "required"
#: What a driver's read_site_settings may give, as context properties.
IMPORTED = ("db_name", "db_user", "db_passwd", "profile", "language", "cron_key")


def run(invocation: Invocation) -> dict[str, Any]:
    """Import, then verify; the result is verify's plus profile and language."""
    site = site_of(invocation)
    # The settings file holds no password: the site's credentials file (or an older vhost) does.
    live = _live_credentials(site, invocation)
    found = {**_as_properties(live), **(call_driver(site.driver, "read_site_settings", site, live)
                                         or {})}
    if not found.get("db_name"):
        raise ApplicationError(
            f"The settings of {site.uri} in {site.site_path} name no database; check that the "
            "site is installed there, then import again."
        )
    invocation.logger.add_secret(found.get("db_passwd"))
    site = save_site(invocation, **{key: found[key] for key in IMPORTED if found.get(key)})
    invocation.logger.info(f"Read the settings of {site.uri} (database {found['db_name']}).")
    result = verify_site(invocation)
    return {**result, "profile": site.raw("profile"), "language": site.raw("language")}


def _live_credentials(site: SiteContext, invocation: Invocation) -> SiteCredentials | None:
    """The credentials the site's web server gives its PHP, when it has them."""
    http = http_service(site)
    live = http.live_credentials(site) if http is not None else None
    if live is not None:
        invocation.logger.add_secret(live.password)
    return live


def _as_properties(credentials: SiteCredentials | None) -> dict[str, Any]:
    """Context properties from live credentials."""
    if credentials is None:
        return {}
    return {"db_name": credentials.name, "db_user": credentials.user,
            "db_passwd": credentials.password}
