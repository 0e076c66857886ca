"""Server task types: verify, trust-key (record a remote server's new SSH host key), delete
(refused for the master and while platforms or sites use the server), and a no-op used to
measure the dispatcher."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Platform, PlatformStatus, Server, ServerStatus, Task, utcnow
from ..services import contexts, panel_publishing, server_edits, tasks
from ..services.servers import ssh_login
from .forms import ServerTrustKeyForm, TaskConfirmForm, TaskNoopForm
from .registry import TaskType


def _verified(task: Task, server: Server, result: dict[str, Any]) -> None:
    """A verified server is ENABLED, and its platforms are verified again."""
    server.status = ServerStatus.ENABLED
    server.verified_at = utcnow()
    panel_publishing.record_certificate(server, result)
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


def _delete_refusal(server: Server) -> str | None:
    """Never the master (the panel and provision run on it); never while platforms or sites
    use the server."""
    if contexts.master_server() is server:
        return (f"{server.title} is the master server: the panel and provision run on it, so "
                "it cannot be deleted.")
    uses = server_edits.uses_of(server)
    if uses:
        return (f"{server.title} cannot be deleted while {' and '.join(uses)}; delete them or "
                "migrate them to another server first.")
    return None


def _deleted(task: Task, server: Server, result: dict[str, Any]) -> None:
    """DELETED: its context name and services go; its tasks stay as history. Its host name
    becomes ``<hostname>~deleted-<id>`` so that the name may be added again (no live host
    name can hold a ``~``)."""
    server.status = ServerStatus.DELETED
    suffix = f"~deleted-{server.id}"
    server.hostname = server.hostname[: Server.hostname.type.length - len(suffix)] + suffix
    server.services = []
    contexts.unregister(server)


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
    TaskType(
        entity_kind="server",
        name="delete",
        title="Delete",
        command="delete",
        description="Remove the server's web server configuration and its context.",
        form=TaskConfirmForm,
        refusal=_delete_refusal,
        on_success=_deleted,
    ),
]
