"""``provision @site backup``: the site's folder and database in a tar.gz under backups/."""

from __future__ import annotations

from typing import Any

from ..sites.backup import backup_site
from ..sites.stepping import Steps
from ..sites.steps import site_of
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Back the site up; the result names the archive and its size."""
    site = site_of(invocation)
    with Steps("backup", invocation.logger).step("archive", site):
        return backup_site(site, invocation.logger)
