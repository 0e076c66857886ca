"""``provision @site enable``: the site's own vhost again, serving it."""

from __future__ import annotations

from typing import Any

from ..sites.stepping import Steps
from ..sites.steps import save_site, site_credentials, site_of, write_vhost
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Mark the site enabled and rewrite its vhost."""
    site = site_of(invocation)
    logger = invocation.logger
    credentials = site_credentials(site)
    with Steps("enable", logger).step("vhost", site):
        site = save_site(invocation, site_enabled=True)
        write_vhost(site, credentials, logger)
    logger.success(f"Enabled {site.uri}.")
    return {}
