"""Server task types: verify, trust-key (record a remote server's new SSH host key), and a
no-op used to measure the dispatcher."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Platform, PlatformStatus, Server, ServerStatus, Task, utcnow
from ..services import tasks
from ..services.servers import ssh_login
from .forms import ServerTrustKeyForm, TaskNoopForm
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


def _local_refusal(server: Server) -> str | None:
    """trust-key is for servers reached over SSH."""
    if ssh_login(server) is None:
        return (f"{server.title} is this machine: it is reached without SSH, so it has no host "
                "key to trust.")
    return None


def _trusted(task: Task, server: Server, result: dict[str, Any]) -> None:
    """With the new key recorded, the server is verified again."""
    if tasks.why_unavailable(server, "verify") is None:
        tasks.queue(server, "verify", commit=False)


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
    TaskType(
        entity_kind="server",
        name="trust-key",
        title="Trust host key",
        command="trust-key",
        description="Record the server's new SSH host key, once its fingerprint is the one "
                    "read on the server; then verify it again.",
        form=ServerTrustKeyForm,
        refusal=_local_refusal,
        on_success=_trusted,
    ),
]
