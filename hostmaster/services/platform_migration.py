"""Migrate every site of a platform to another one (the platform's "Migrate sites" task).

As in the original (hosting_migrate.batch.inc): choose a target, see which enabled, verified
sites pass the package comparison and which do not, then queue one site ``migrate`` task per
passing site. The platform's own task is recorded, finished, as the log of what was queued and
what was left; nothing here runs provision.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Platform, PlatformStatus, Site, SiteStatus, Task, TaskStatus, User, utcnow
from . import tasks
from .errors import TaskNotAvailable, ValidationError
from .package_comparison import PlatformComparison, compare_sites_to_platform
from .transaction import transaction


@dataclass(frozen=True)
class SiteVerdict:
    """Whether one site may move to the target, with its comparison; ``reason`` None: it may."""

    site: Site
    comparison: PlatformComparison
    reason: str | None

    @property
    def passes(self) -> bool:
        """True when the site's migrate task will be queued."""
        return self.reason is None


@dataclass(frozen=True)
class MigrationPlan:
    """The sites of a platform that will move to ``target`` and those that will stay."""

    platform: Platform
    target: Platform
    verdicts: list[SiteVerdict]

    @property
    def passing(self) -> list[SiteVerdict]:
        """The sites whose migrate tasks will be queued."""
        return [v for v in self.verdicts if v.passes]

    @property
    def failing(self) -> list[SiteVerdict]:
        """The sites that stay, each with its reason."""
        return [v for v in self.verdicts if not v.passes]


def migratable_sites(platform: Platform) -> list[Site]:
    """The platform's enabled, verified sites, by domain: those a platform migrate moves."""
    return list(
        db.session.scalars(
            select(Site)
            .where(
                Site.platform_id == platform.id,
                Site.status == SiteStatus.ENABLED,
                Site.verified_at.is_not(None),
            )
            .order_by(Site.uri)
        )
    )


def targets_for(platform: Platform) -> list[Platform]:
    """Where the platform's sites may go: the other enabled (not locked) platforms of the same
    web server and application, by name."""
    return list(
        db.session.scalars(
            select(Platform)
            .where(
                Platform.id != platform.id,
                Platform.status == PlatformStatus.ENABLED,
                Platform.web_server_id == platform.web_server_id,
                Platform.application == platform.application,
            )
            .order_by(Platform.name)
        )
    )


def plan(platform: Platform, target: Platform) -> MigrationPlan:
    """Compare every migratable site of ``platform`` with ``target``."""
    if target.id not in {p.id for p in targets_for(platform)}:
        raise TaskNotAvailable(
            f"{target.name} is not a platform the sites of {platform.name} can move to: choose "
            "an enabled platform of the same application on the same web server."
        )
    found = migratable_sites(platform)
    comparisons = compare_sites_to_platform(found, target)
    verdicts = [
        SiteVerdict(site, comparisons[site.id], _refusal(site, comparisons[site.id]))
        for site in found
    ]
    return MigrationPlan(platform, target, verdicts)


def migrate_sites(platform: Platform, target: Platform, user: User | None = None) -> Task:
    """Queue a site migrate task for every site that passes; record the platform's task,
    finished, with a log line per site (queued, or why not). Raises TaskNotAvailable, and
    changes nothing, when no site can move."""
    problem = tasks.why_unavailable(platform, "migrate")
    if problem:
        raise TaskNotAvailable(problem)
    with transaction():
        record = Task(
            type="migrate",
            entity_kind="platform",
            entity_id=platform.id,
            arguments={"target_platform": target.id},
            user_id=user.id if user is not None else None,
            status=TaskStatus.SUCCESS,  # lowered to WARNING when some site stays
            created_at=utcnow(),
            started_at=utcnow(),
        )
        db.session.add(record)
        db.session.flush()
        if not queue_site_migrations(record, platform, target, user):
            raise TaskNotAvailable(
                f"None of the sites of {platform.name} can move to {target.name}.")
        record.finished_at = utcnow()
    return record


def queue_site_migrations(
    record: Task, platform: Platform, target: Platform, user: User | None
) -> int:
    """Queue the passing sites' migrate tasks (the caller commits) and log each site on
    ``record``, whose status becomes WARNING when some site stays; returns how many were queued."""
    queued = left = 0
    for verdict in plan(platform, target).verdicts:
        reason = verdict.reason
        if reason is None:
            try:
                task = tasks.queue(
                    verdict.site, "migrate", {"target_platform": target.id}, user, commit=False
                )
            except (TaskNotAvailable, ValidationError) as refusal:
                reason = str(refusal)
            else:
                db.session.flush()
                queued += 1
                tasks.add_log(
                    record, "info", f"Migrate task {task.id} for {verdict.site.uri} is queued."
                )
                continue
        left += 1
        tasks.add_log(record, "warning", f"{verdict.site.uri} is not migrated: {reason}")
    if left:
        record.status = TaskStatus.WARNING
    return queued


def _refusal(site: Site, comparison: PlatformComparison) -> str | None:
    """Why ``site`` may not move to the compared platform, or None."""
    problem = tasks.why_unavailable(site, "migrate")
    if problem:
        return problem
    if comparison.blocked:
        profile = next(
            (r for r in comparison.rows if r.kind == "profile" and r.status == "error"), None
        )
        if profile is not None and profile.target_version is None:
            return (
                f"{comparison.platform.name} does not have the install profile "
                f"{profile.short_name}."
            )
        errors = comparison.counts["error"]
        packages = "package has" if errors == 1 else "packages have"
        return (
            f"{errors} {packages} a newer database schema on the site than on "
            f"{comparison.platform.name}."
        )
    return None
