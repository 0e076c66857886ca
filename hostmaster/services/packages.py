"""The package registry: which modules, themes, profiles and plugins each platform or site has."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, tuple_

from ..extensions import db
from ..models import Package, PackageInstance


def sync(owner_kind: str, owner_id: int, packages: list[dict[str, Any]]) -> int:
    """Replace the package instances of a platform or site with ``packages`` (protocol PACKAGE
    dicts); returns how many were stored. The caller commits."""
    keys = {(p["short_name"], p["kind"]) for p in packages}
    known: dict[tuple[str, str], Package] = {}
    if keys:
        rows = db.session.scalars(
            select(Package).where(tuple_(Package.short_name, Package.kind).in_(list(keys)))
        )
        known = {(p.short_name, p.kind): p for p in rows}
    for item in packages:
        key = (item["short_name"], item["kind"])
        package = known.get(key)
        if package is None:
            package = Package(short_name=key[0], kind=key[1])
            db.session.add(package)
            known[key] = package
        package.name = str(item.get("name") or package.name or key[0])[:255]
        package.description = str(item.get("description") or package.description or "")
    db.session.flush()
    db.session.execute(
        delete(PackageInstance).where(
            PackageInstance.owner_kind == owner_kind, PackageInstance.owner_id == owner_id
        )
    )
    db.session.add_all(
        PackageInstance(
            package_id=known[(item["short_name"], item["kind"])].id,
            owner_kind=owner_kind,
            owner_id=owner_id,
            path=str(item.get("path") or "")[:1024],
            version=str(item.get("version") or "Unknown")[:64],
            version_code=int(item.get("version_code") or 0),
            schema_version=int(item.get("schema_version") or 0),
            enabled=bool(item.get("enabled", False)),
            profile=item.get("profile"),
        )
        for item in packages
    )
    return len(packages)


def instances_of(owner_kind: str, owner_id: int) -> list[PackageInstance]:
    """The packages of a platform or site, by kind then short name."""
    return list(
        db.session.scalars(
            select(PackageInstance)
            .join(Package)
            .where(PackageInstance.owner_kind == owner_kind, PackageInstance.owner_id == owner_id)
            .order_by(Package.kind, Package.short_name, PackageInstance.profile)
        )
    )
