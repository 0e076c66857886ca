"""The doctor: orphans, the databases, users, site folders, vhosts, contexts and archives that
no record owns (provision/orphans.py says exactly what counts).

The web process never looks at files or databases: listing and removing happen in provision,
on each server, through tasks. ``queue_listings`` queues an ``orphans`` task per server (its
result is provision's listing); ``queue_removal`` queues an ``orphan-remove`` task for one
orphan an administrator confirmed. Nothing is ever removed automatically. Both tasks read the
records when they start (``known_records``), so a removal never takes something a record came
to own after the listing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import make_url

from ..extensions import db
from ..models import (
    ContextName,
    Platform,
    PlatformStatus,
    Server,
    ServerStatus,
    Site,
    SiteBackup,
    SiteStatus,
    Task,
    TaskStatus,
    User,
)
from . import tasks
from .errors import TaskNotAvailable

LISTING = "orphans"
REMOVAL = "orphan-remove"
PENDING = (TaskStatus.QUEUED, TaskStatus.PROCESSING)


@dataclass
class Listing:
    """A server's newest listing task and the orphans it found (those removed since left out)."""

    server: Server
    task: Task | None
    orphans: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def known_records(task: Task) -> dict[str, Any]:
    """provision's ``known`` option: what the records own now, and what running or queued
    tasks may be making (read when ``task`` starts)."""
    names = {(row.entity_kind, row.entity_id): "@" + row.name
             for row in db.session.scalars(select(ContextName))}
    platforms = list(db.session.scalars(
        select(Platform).where(Platform.status != PlatformStatus.DELETED)))
    sites = list(db.session.scalars(select(Site)))
    pending = list(db.session.scalars(
        select(Task).where(Task.status.in_(PENDING), Task.id != task.id)))
    busy_entities = {(t.entity_kind, t.entity_id) for t in pending}
    busy_uris = {str(t.arguments["new_uri"]) for t in pending
                 if isinstance(t.arguments, dict) and t.arguments.get("new_uri")}
    busy_uris |= {site.uri for site in sites if ("site", site.id) in busy_entities}
    started = [t.started_at for t in pending if t.status == TaskStatus.PROCESSING and t.started_at]
    started.append(task.started_at or datetime.now(UTC).replace(tzinfo=None))
    store = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    own_store = store.get_backend_name() in ("mysql", "mariadb")
    return {
        "sites": [{"uri": site.uri, "db_name": site.db_name,
                   "platform": names.get(("platform", site.platform_id), "")}
                  for site in sites if site.status != SiteStatus.DELETED],
        "platforms": [{"name": names.get(("platform", p.id), ""), "root": p.root,
                       "web_server": names.get(("server", p.web_server_id), "")}
                      for p in platforms],
        "contexts": sorted(names.values()),
        "backups": list(db.session.scalars(select(SiteBackup.filename))),
        "former_databases": sorted({site.db_name for site in sites
                                    if site.status == SiteStatus.DELETED and site.db_name}
                                   - {site.db_name for site in sites
                                      if site.status != SiteStatus.DELETED}),
        "keep_databases": [store.database] if own_store and store.database else [],
        "keep_db_users": [store.username] if own_store and store.username else [],
        "busy_since": min(started).replace(tzinfo=UTC).timestamp(),
        "busy_uris": sorted(busy_uris),
    }


def servers() -> list[Server]:
    """The servers orphans are looked for on (every one not deleted), by id."""
    return list(db.session.scalars(
        select(Server).where(Server.status != ServerStatus.DELETED).order_by(Server.id)))


def queue_listings(user: User | None = None) -> list[Task]:
    """Queue a listing on every server (one already pending is kept); the pending listings."""
    queued = []
    for server in servers():
        task = tasks.pending_task(server, LISTING) or tasks.queue(server, LISTING, user=user)
        queued.append(task)
    return queued


def _newest(server: Server, type_name: str, *statuses: TaskStatus) -> Task | None:
    query = select(Task).where(Task.entity_kind == "server", Task.entity_id == server.id,
                               Task.type == type_name)
    if statuses:
        query = query.where(Task.status.in_(statuses))
    return db.session.scalar(query.order_by(Task.id.desc()).limit(1))


def last_listings() -> list[Listing]:
    """Each server's newest listing, without the orphans removed since it ran."""
    found = []
    for server in servers():
        task = _newest(server, LISTING)
        listing = Listing(server, task)
        if task is not None and task.status == TaskStatus.SUCCESS and task.result:
            removed = _removed_since(server, task)
            listing.orphans = [o for o in task.result.get("orphans") or []
                               if o.get("id") not in removed]
            listing.skipped = list(task.result.get("skipped") or [])
        found.append(listing)
    return found


def _removed_since(server: Server, listing: Task) -> set[str]:
    """The orphans of ``server`` removed by tasks queued after ``listing``."""
    removals = db.session.scalars(
        select(Task).where(Task.entity_kind == "server", Task.entity_id == server.id,
                           Task.type == REMOVAL, Task.id > listing.id,
                           Task.status.in_((TaskStatus.SUCCESS, TaskStatus.WARNING))))
    return {str((task.arguments or {}).get("orphan")) for task in removals}


def find_orphan(server_id: int, orphan_id: str) -> tuple[Server, dict[str, str]] | None:
    """The orphan ``orphan_id`` of server ``server_id`` in its last listing, if it is there."""
    for listing in last_listings():
        if listing.server.id == server_id:
            for orphan in listing.orphans:
                if orphan.get("id") == orphan_id:
                    return listing.server, orphan
    return None


def pending_removal(server: Server, orphan_id: str) -> Task | None:
    """The queued or running removal of ``orphan_id`` on ``server``, if there is one."""
    for task in db.session.scalars(
        select(Task).where(Task.entity_kind == "server", Task.entity_id == server.id,
                           Task.type == REMOVAL, Task.status.in_(PENDING))):
        if (task.arguments or {}).get("orphan") == orphan_id:
            return task
    return None


def queue_removal(server_id: int, orphan_id: str, user: User | None = None) -> Task:
    """Queue the removal of one listed orphan; TaskNotAvailable when it is not listed."""
    found = find_orphan(server_id, orphan_id)
    if found is None:
        raise TaskNotAvailable(
            f"{orphan_id} is not in the last listing of that server; list the orphans again."
        )
    server, _orphan = found
    if pending_removal(server, orphan_id) is not None:
        raise TaskNotAvailable(f"The removal of {orphan_id} is already queued or running.")
    return tasks.queue(server, REMOVAL, {"orphan": orphan_id}, user)
