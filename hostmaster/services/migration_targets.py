"""Where a site may be migrated or cloned to, and why it may not go anywhere else.

Every platform of the site's application that is not deleted is listed, on any web server
(provision moves the site's folder, vhost and credentials file from one server to another).
Each comes with its package comparison and, when the site may not go there, one sentence that
says why: the platform is locked or not verified yet, its web server is locked, it lacks the site's
install profile, or its code is older than the site's database (a package comparison error).
A downgrade is not refused here: the dialogs ask for it to be confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Platform, PlatformStatus, Server, ServerStatus, Site, store_id
from .package_comparison import (
    PlatformComparison,
    compare_packages,
    enabled_profile,
    platform_packages,
    site_packages,
)


@dataclass(frozen=True)
class MigrationTarget:
    """One platform a site's migrate or clone dialog lists; ``refusal`` says why the site may
    not go there (None: it may)."""

    comparison: PlatformComparison
    refusal: str | None = None

    @property
    def platform(self) -> Platform:
        """The target platform."""
        return self.comparison.platform

    def summary(self) -> dict[str, Any]:
        """What the API and the command line show of it."""
        platform, counts = self.platform, self.comparison.counts
        return {"platform_id": platform.id, "platform": platform.name,
                "web_server_id": platform.web_server_id, "web_server": platform.web_server.title,
                "upgrades": counts.get("upgrade", 0), "warnings": self.comparison.warnings,
                "errors": counts.get("error", 0), "refusal": self.refusal}


def migration_targets(site: Site) -> list[MigrationTarget]:
    """The platforms of the site's application on any web server, its own first (a migrate may
    only rename the site or change its database server), then by name; each with its
    comparison and refusal (three queries)."""
    current = site.platform
    candidates = list(
        db.session.scalars(
            select(Platform)
            .join(Platform.web_server)
            # Its status and name are read here; its addresses and services are not.
            .options(contains_eager(Platform.web_server).lazyload(Server.ip_addresses),
                     contains_eager(Platform.web_server).lazyload(Server.services))
            .where(
                Platform.status != PlatformStatus.DELETED,
                Platform.application == current.application,
            )
            .order_by(Platform.name)
        )
    )
    candidates.sort(key=lambda platform: platform.id != current.id)
    packages = platform_packages(candidates)
    own = site_packages([site])[site.id]
    profile = enabled_profile(own)
    targets = []
    for platform in candidates:
        comparison = compare_packages(site, platform, own, packages)
        lacks_profile = profile is not None and (platform.id, profile) not in packages
        targets.append(MigrationTarget(comparison, _refusal(site, comparison, lacks_profile)))
    return targets


def _refusal(site: Site, comparison: PlatformComparison, lacks_profile: bool) -> str | None:
    """Why ``site`` may not move to the comparison's platform, or None."""
    platform = comparison.platform
    server = platform.web_server
    if platform.status == PlatformStatus.LOCKED:
        return f"{platform.name} is locked; unlock it to move sites there."
    if platform.status != PlatformStatus.ENABLED:
        return f"{platform.name} is not verified yet; verify it first."
    if server.status == ServerStatus.LOCKED:
        return f"Its web server {server.title} is locked; unlock the server first."
    if lacks_profile:
        return (f"{platform.name} has no {site.profile} install profile, which {site.uri} "
                "runs.")
    if comparison.blocked:
        older = ", ".join(row.short_name for row in comparison.rows if row.status == "error")
        return (f"{platform.name} has older code than the database of {site.uri} ({older}): "
                "the database cannot go back to it.")
    return None


def refusal_of(site: Site, platform_id: int,
               targets: list[MigrationTarget] | None = None) -> str | None:
    """Why ``site`` may not move to platform ``platform_id`` (also one the dialogs do not list:
    deleted, unknown or of another application), or None when it may; ``targets``: the site's
    migration targets when they are at hand."""
    for target in migration_targets(site) if targets is None else targets:
        if target.platform.id == platform_id:
            return target.refusal
    platform = db.session.get(Platform, platform_id) if store_id(platform_id) else None
    if platform is None or platform.status == PlatformStatus.DELETED:
        return f"There is no platform {platform_id}."
    return (f"{platform.name} runs {platform.application or 'another application'} and "
            f"{site.uri} runs {site.platform.application}: a site stays with its application.")
