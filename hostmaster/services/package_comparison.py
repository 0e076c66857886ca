"""Compare a site's enabled packages with those of another platform, before a migrate.

The original's rules (hosting_package.instance.inc, hosting_migrate.module), one status per
package enabled on the site, checked in this order:

- **error**: the target's schema is older (target schema > 0 and the site's schema above it);
  the database could not be brought back to that code. The site's install profile missing
  on the target is an error too: the original never offers such a platform.
- **missing**: the package is not on the target at all (a warning);
- **downgrade**: the target has a lower version code (a warning);
- **upgrade**: the target has a higher version code, or declares a higher schema;
- **same**: nothing changes.

A target with any error cannot be chosen. Only the packages that fit the site's install profile
count on either side: those outside any profile and those inside the site's profile, the
ones in ``sites/all`` winning over the profile's, and those over the core folders (Drupal's
own override order).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from provision.apps.versions import version_code

from ..extensions import db
from ..models import Package, PackageInstance, Platform, Site

STATUSES = ("error", "missing", "upgrade", "downgrade", "same")
WARNING_STATUSES = ("missing", "downgrade")


@dataclass(frozen=True)
class PackageComparison:
    """One package enabled on the site, as it is now and as it would be on the target."""

    short_name: str
    name: str
    kind: str
    current_version: str
    target_version: str | None
    current_schema: int
    target_schema: int | None
    status: str


@dataclass
class PlatformComparison:
    """A site's enabled packages compared with one target platform."""

    platform: Platform
    rows: list[PackageComparison] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        """True when the site may not move there: a package has an error."""
        return self.counts.get("error", 0) > 0

    @property
    def warnings(self) -> int:
        """Missing plus downgraded packages, the figure the original calls Warnings."""
        return sum(self.counts.get(status, 0) for status in WARNING_STATUSES)


def package_status(
    kind: str,
    current_code: int,
    current_schema: int,
    target_code: int | None,
    target_schema: int | None,
) -> str:
    """The status of one package (see the module's docstring); ``target_code`` None: absent."""
    if target_code is None or target_schema is None:
        return "error" if kind == "profile" else "missing"
    if target_schema > 0 and current_schema > target_schema:
        return "error"
    if current_code > target_code:
        return "downgrade"
    # A target declaring no schema (0: a theme, a module without updates) cannot be newer
    # either: a site's theme reads -1 (Drupal's "no schema") against its platform's 0.
    if current_code < target_code or (0 < target_schema and current_schema < target_schema):
        return "upgrade"
    return "same"


def downgrade_of(current: Platform, target: Platform) -> str | None:
    """A sentence naming both versions when ``target``'s application is older than
    ``current``'s, else None (also when either version is unknown: nothing to compare)."""
    old = version_code(current.core, current.version) if current.version else 0
    new = version_code(target.core, target.version) if target.version else 0
    if not old or not new or new >= old:
        return None
    application = (current.application or "the application").capitalize()
    return (f"{target.name} has {application} {target.version}, older than {current.version} "
            f"on {current.name}: moving the site there is a downgrade.")


def compare_site_to_platform(site: Site, platform: Platform) -> PlatformComparison:
    """The site's enabled packages compared with ``platform``'s (two queries)."""
    return compare_packages(site, platform, site_packages([site])[site.id],
                            platform_packages([platform]))


def compare_sites_to_platform(
    sites: list[Site], platform: Platform
) -> dict[int, PlatformComparison]:
    """Each site's comparison with ``platform``, by site id (two queries for them all)."""
    own = site_packages(sites)
    packages = platform_packages([platform])
    return {site.id: compare_packages(site, platform, own[site.id], packages) for site in sites}


# Rows of the store, read in bulk ------------------------------------------------------------

_Key = tuple[str, str]  # (short_name, kind)


def compare_packages(
    site: Site,
    platform: Platform,
    own: dict[_Key, list[tuple[PackageInstance, Package]]],
    packages: dict[tuple[int, _Key], list[tuple[PackageInstance, Package]]],
) -> PlatformComparison:
    rows = []
    for key, choices in sorted(own.items(), key=lambda item: (item[0][1], item[0][0])):
        current, package = _pick(choices, site.profile)
        targets = [
            choice
            for choice in packages.get((platform.id, key), [])
            if choice[0].profile in (None, site.profile)
        ]
        target = _pick(targets, site.profile)[0] if targets else None
        rows.append(
            PackageComparison(
                short_name=package.short_name,
                name=package.name or package.short_name,
                kind=package.kind,
                current_version=current.version,
                target_version=target.version if target is not None else None,
                current_schema=current.schema_version,
                target_schema=target.schema_version if target is not None else None,
                status=package_status(
                    package.kind,
                    current.version_code,
                    current.schema_version,
                    target.version_code if target is not None else None,
                    target.schema_version if target is not None else None,
                ),
            )
        )
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        counts[row.status] += 1
    rows.sort(key=lambda row: (STATUSES.index(row.status), row.kind, row.short_name))
    return PlatformComparison(platform=platform, rows=rows, counts=counts)


def site_packages(
    sites: Iterable[Site],
) -> dict[int, dict[_Key, list[tuple[PackageInstance, Package]]]]:
    """The enabled packages of each site that fit its profile, by site id then package key."""
    sites = list(sites)
    found: dict[int, dict[_Key, list[tuple[PackageInstance, Package]]]] = {s.id: {} for s in sites}
    if not sites:
        return found
    profiles = {site.id: site.profile for site in sites}
    rows = db.session.execute(
        select(PackageInstance, Package)
        .join(PackageInstance.package)
        .options(contains_eager(PackageInstance.package))
        .where(
            PackageInstance.owner_kind == "site",
            PackageInstance.owner_id.in_(list(profiles)),
            PackageInstance.enabled.is_(True),
        )
    )
    for instance, package in rows:
        if instance.profile is not None and instance.profile != profiles[instance.owner_id]:
            continue
        key = (package.short_name, package.kind)
        found[instance.owner_id].setdefault(key, []).append((instance, package))
    return found


def platform_packages(
    platforms: Iterable[Platform],
) -> dict[tuple[int, _Key], list[tuple[PackageInstance, Package]]]:
    """Every package of the platforms, by (platform id, package key)."""
    ids = [platform.id for platform in platforms]
    found: dict[tuple[int, _Key], list[tuple[PackageInstance, Package]]] = {}
    if not ids:
        return found
    rows = db.session.execute(
        select(PackageInstance, Package)
        .join(PackageInstance.package)
        .options(contains_eager(PackageInstance.package))
        .where(PackageInstance.owner_kind == "platform", PackageInstance.owner_id.in_(ids))
    )
    for instance, package in rows:
        key = (instance.owner_id, (package.short_name, package.kind))
        found.setdefault(key, []).append((instance, package))
    return found


def _pick(
    choices: list[tuple[PackageInstance, Package]], profile: str
) -> tuple[PackageInstance, Package]:
    """The copy of a package that a site with ``profile`` runs: ``sites/all`` first, then the
    profile's own copy, then the one in the core folders (the callers leave out the copies
    inside other profiles)."""

    def rank(choice: tuple[PackageInstance, Package]) -> tuple[int, int]:
        instance = choice[0]
        if instance.profile is None and instance.path.startswith("sites/all/"):
            return (0, instance.id)
        if instance.profile == profile:
            return (1, instance.id)
        return (2, instance.id)

    return min(choices, key=rank)


def enabled_profile(own: dict[_Key, list[tuple[PackageInstance, Package]]]) -> _Key | None:
    """The key of the site's enabled install profile package, if the site has one."""
    return next((key for key in own if key[1] == "profile"), None)
