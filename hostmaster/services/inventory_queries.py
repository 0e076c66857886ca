"""Read-only queries over servers, platforms and sites for the web interface."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import func, select

from .. import access
from ..extensions import db
from ..models import Package, PackageInstance, Platform, Server, Site
from .packages import instances_of


def status_counts(
    model: type[Server] | type[Platform] | type[Site], *, viewer: Any = None
) -> dict[enum.IntEnum, int]:
    """How many servers, platforms or sites are in each status (only statuses that occur);
    only those ``viewer`` may see, when given."""
    query = select(model.status, func.count(model.id)).group_by(model.status)
    if viewer is not None:
        query = access.visible(query, model, viewer)
    rows = db.session.execute(query)
    return {status: count for status, count in sorted(rows, key=lambda row: -int(row[0]))}


def platform_packages(platform_id: int, kind: str | None = None) -> list[PackageInstance]:
    """A platform's packages, all or those of one kind (module, theme, profile, core, plugin)."""
    instances = instances_of("platform", platform_id)
    return [i for i in instances if kind is None or i.package.kind == kind]


def package_kind_counts(owner_kind: str, owner_id: int) -> dict[str, int]:
    """How many packages of each kind a platform or site has, by kind name."""
    rows = db.session.execute(
        select(Package.kind, func.count(PackageInstance.id))
        .join(PackageInstance, PackageInstance.package_id == Package.id)
        .where(PackageInstance.owner_kind == owner_kind, PackageInstance.owner_id == owner_id)
        .group_by(Package.kind)
        .order_by(Package.kind)
    )
    return {kind: count for kind, count in rows}
