"""Server task types: verify, and a no-op used to measure the dispatcher."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Platform, PlatformStatus, Server, ServerStatus, Task, utcnow
from ..services import tasks
from .forms import TaskNoopForm
from .registry import TaskType


def _verified(task: Task, server: Server, result: dict[str, Any]) -> None:
    """A verified server is ENABLED, and its platforms are verified again."""
    server.status = ServerStatus.ENABLED
    server.verified_at = utcnow()
    platforms = db.session.scalars(
        select(Platform).where(
            Platform.web_server_id == server.id, Platform.status != PlatformStatus.DELETED
        )
    )
    for platform in platforms:
        if tasks.why_unavailable(platform, "verify") is None:
            tasks.queue(platform, "verify", commit=False)


TASK_TYPES = [
    TaskType(
        entity_kind="server",
        name="verify",
        title="Verify",
        command="verify",
        description="Check the server's services and write their configuration again.",
        on_success=_verified,
    ),
    TaskType(
        entity_kind="server",
        name="noop",
        title="No-op",
        command="noop",
        description="Runs provision without doing anything; measures the dispatcher.",
        hidden=True,
        allow_duplicates=True,
        form=TaskNoopForm,
    ),
]
