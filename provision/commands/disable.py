"""``provision @site disable``: a backup, then a vhost that sends visitors to the front end."""

from __future__ import annotations

from typing import Any

from ..sites.backup import backup_site
from ..sites.stepping import Steps
from ..sites.steps import save_site, site_credentials, site_of, write_vhost
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Back up, mark the site disabled and rewrite its vhost; the result names the backup."""
    site = site_of(invocation)
    logger = invocation.logger
    credentials = site_credentials(site)
    steps = Steps("disable", logger)
    with steps.step("backup", site):
        result = backup_site(site, logger)
    with steps.step("vhost", site):
        site = save_site(invocation, site_enabled=False)
        write_vhost(site, credentials, logger)
    logger.success(f"Disabled {site.uri}.")
    return result
