"""``provision @site login-reset``: a new one-time login link for the site's admin account."""

from __future__ import annotations

from typing import Any

from ..sites.driver import call_driver
from ..sites.steps import site_credentials, site_of
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Ask the driver for a login link."""
    site = site_of(invocation)
    link = call_driver(site.driver, "login_link", site, site_credentials(site), invocation.logger)
    invocation.logger.success(f"Made a one-time login link for {site.uri}.")
    return {"login_link": link}
