"""``provision @site disable``: a backup, then a vhost that sends visitors to the front end."""

from __future__ import annotations

from typing import Any

from ..sites.backup import backup_site
from ..sites.steps import save_site, site_credentials, site_of, write_vhost
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Back up, mark the site disabled and rewrite its vhost; the result names the backup."""
    site = site_of(invocation)
    logger = invocation.logger
    credentials = site_credentials(site)
    result = backup_site(site, logger)
    site = save_site(invocation, site_enabled=False)
    try:
        write_vhost(site, credentials, logger)
    except BaseException:
        save_site(invocation, site_enabled=True)
        raise
    logger.success(f"Disabled {site.uri}.")
    return result
