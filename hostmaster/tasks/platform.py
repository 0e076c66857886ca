"""Platform task types: verify (application, version, packages, web server config)."""

from __future__ import annotations

from typing import Any

from ..models import Platform, PlatformStatus, Task, utcnow
from .registry import TaskType, register


def _verified(task: Task, platform: Platform, result: dict[str, Any]) -> None:
    """Store what the verify found; a first verify makes the platform ENABLED (or LOCKED)."""
    from ..services import packages, settings

    if platform.status == PlatformStatus.QUEUED:
        locked = bool(settings.get("lock_platforms_by_default"))
        platform.status = PlatformStatus.LOCKED if locked else PlatformStatus.ENABLED
    platform.verified_at = utcnow()
    platform.application = str(result.get("application") or "")
    platform.version = str(result.get("version") or "")
    platform.core = str(result.get("core") or "")
    packages.sync("platform", platform.id, list(result.get("packages") or []))


register(
    TaskType(
        entity_kind="platform",
        name="verify",
        title="Verify",
        command="verify",
        description="Detect the application and its packages and publish the platform.",
        on_success=_verified,
    )
)
