"""Platform task types: verify (application, version, packages, sites found), lock, unlock and
delete (refused while the platform has sites that are not deleted)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import (
    PackageInstance,
    Platform,
    PlatformStatus,
    Site,
    SiteStatus,
    Task,
    platform_clients,
    utcnow,
)
from ..services import contexts, packages, settings, sites
from .forms import TaskConfirmForm
from .registry import TaskType


def _verified(task: Task, platform: Platform, result: dict[str, Any]) -> None:
    """Store what the verify found; a first verify makes the platform ENABLED (or LOCKED).
    Sites found on the platform that the store does not know are imported."""
    if platform.status == PlatformStatus.QUEUED:
        locked = bool(settings.get("lock_platforms_by_default"))
        platform.status = PlatformStatus.LOCKED if locked else PlatformStatus.ENABLED
    platform.verified_at = utcnow()
    platform.application = str(result.get("application") or "")
    platform.version = str(result.get("version") or "")
    platform.core = str(result.get("core") or "")
    packages.sync("platform", platform.id, list(result.get("packages") or []))
    sites.import_found_sites(platform, [str(uri) for uri in result.get("sites") or []])


def _live_sites(platform: Platform) -> int:
    return (
        db.session.scalar(
            select(func.count(Site.id)).where(
                Site.platform_id == platform.id, Site.status != SiteStatus.DELETED
            )
        )
        or 0
    )


def _delete_refusal(platform: Platform) -> str | None:
    count = _live_sites(platform)
    if count:
        sites = "site" if count == 1 else "sites"
        return (
            f"{platform.name} still has {count} {sites}; delete or migrate them before "
            "deleting the platform."
        )
    return None


def _locked(task: Task, platform: Platform, result: dict[str, Any]) -> None:
    platform.status = PlatformStatus.LOCKED


def _unlocked(task: Task, platform: Platform, result: dict[str, Any]) -> None:
    platform.status = PlatformStatus.ENABLED


def _deleted(task: Task, platform: Platform, result: dict[str, Any]) -> None:
    """DELETED: its context name, packages and client access go; its tasks stay as history.
    Its name becomes ``<name>~deleted-<id>`` so that a new platform may take the name again
    (the name stays unique in the store; no live platform's name can hold a ``~``)."""
    platform.status = PlatformStatus.DELETED
    suffix = f"~deleted-{platform.id}"
    platform.name = platform.name[: Platform.name.type.length - len(suffix)] + suffix
    contexts.unregister(platform)
    db.session.execute(
        delete(PackageInstance).where(
            PackageInstance.owner_kind == "platform", PackageInstance.owner_id == platform.id
        )
    )
    db.session.execute(
        delete(platform_clients).where(platform_clients.c.platform_id == platform.id)
    )


# Lock and unlock change only the store (the original's provision-lock does nothing), so they
# run provision's no-op: the task still gets its log and its place in the queue. "Migrate
# sites" lives in its own module (a dialog of two steps that queues site tasks).
TASK_TYPES = [
    TaskType(
        entity_kind="platform",
        name="verify",
        title="Verify",
        command="verify",
        description="Detect the application and its packages and publish the platform.",
        on_success=_verified,
    ),
    TaskType(
        entity_kind="platform",
        name="lock",
        title="Lock",
        command="noop",
        description="Stop offering the platform for new sites.",
        refusal=lambda platform: (
            f"{platform.name} is locked already."
            if platform.status == PlatformStatus.LOCKED
            else None
        ),
        on_success=_locked,
    ),
    TaskType(
        entity_kind="platform",
        name="unlock",
        title="Unlock",
        command="noop",
        description="Offer the platform for new sites again.",
        refusal=lambda platform: (
            None if platform.status == PlatformStatus.LOCKED else f"{platform.name} is not locked."
        ),
        on_success=_unlocked,
    ),
    TaskType(
        entity_kind="platform",
        name="delete",
        title="Delete",
        command="delete",
        description="Remove the platform's web server configuration and its context.",
        form=TaskConfirmForm,
        refusal=_delete_refusal,
        on_success=_deleted,
    ),
]
