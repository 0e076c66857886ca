"""What restore, backup-delete, migrate and clone send to provision and leave in the store.

The ``*_options`` functions turn a task's arguments (ids) into provision's options (backup
files, context names) when the task runs; the others apply a successful result (the
dispatcher commits them with the task's final status).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from ..extensions import db
from ..models import Entity, Platform, Server, Site, SiteBackup, SiteStatus, Task
from . import contexts, site_aliases, site_results

PRE_RESTORE = "Generated before being restored to a previous version"


def _backup(site: Site, backup_id: Any) -> SiteBackup | None:
    """The site's backup ``backup_id`` (None when it is not one of this site's)."""
    try:
        backup = db.session.get(SiteBackup, int(backup_id))
    except (TypeError, ValueError):
        return None
    return backup if backup is not None and backup.site_id == site.id else None


def restore_options(site: Site, arguments: dict[str, Any]) -> dict[str, Any]:
    """``backup_file``: the chosen backup's file (provision refuses a missing one)."""
    backup = _backup(site, arguments.get("backup_id"))
    if backup is None:
        return {"backup_file": f"(backup {arguments.get('backup_id')} of {site.uri} is gone)"}
    return {"backup_file": backup.filename}


def backup_delete_options(site: Site, arguments: dict[str, Any]) -> dict[str, Any]:
    """``backup_files``: the files of the chosen backups of this site."""
    chosen = [_backup(site, backup_id) for backup_id in arguments.get("backup_ids") or []]
    return {"backup_files": [backup.filename for backup in chosen if backup is not None]}


def move_targets(site: Site, arguments: dict[str, Any]) -> list[Entity]:
    """The target platform and database server a migrate or clone names (provision gets their
    contexts with the task's)."""
    found: list[Entity] = []
    platform = db.session.get(Platform, arguments.get("target_platform") or site.platform_id)
    if platform is not None:
        found.append(platform)
    db_server_id = arguments.get("target_db_server")
    server = db.session.get(Server, db_server_id) if db_server_id else None
    if server is not None:
        found.append(server)
    return found


def move_options(site: Site, arguments: dict[str, Any]) -> dict[str, Any]:
    """Context names of the target platform and database server, and the new domain."""
    options: dict[str, Any] = {}
    platform = db.session.get(Platform, arguments.get("target_platform") or site.platform_id)
    options["target_platform"] = contexts.name_of(platform or site.platform)
    db_server_id = arguments.get("target_db_server")
    server = db.session.get(Server, db_server_id) if db_server_id else site.db_server
    if server is not None:
        options["target_db_server"] = contexts.name_of(server)
    if arguments.get("new_uri"):
        options["new_uri"] = str(arguments["new_uri"])
    return options


def migrate_options(site: Site, arguments: dict[str, Any]) -> dict[str, Any]:
    """What a move sends, and for a rename the aliases under the new domain: the ones given
    (less the new domain), the automatic ones of the new domain instead of the old's, and
    ``keep_old_uri`` when the old domain stays as an alias that redirects."""
    options = move_options(site, arguments)
    new_uri = str(options.get("new_uri") or site.uri)
    if new_uri != site.uri:
        options.update(site_aliases.renamed(site, new_uri))
        if arguments.get("keep_old_uri"):
            options["keep_old_uri"] = True
    return options


def restored(site: Site, result: dict[str, Any]) -> None:
    """The backup made first is recorded; the restored database and packages stored."""
    site_results.record_backup(site, result, PRE_RESTORE)
    site_results.store_verified(site, result)


def backups_deleted(site: Site, arguments: dict[str, Any]) -> None:
    """The chosen backups' rows go (their files are gone or were already missing)."""
    ids = [int(backup_id) for backup_id in arguments.get("backup_ids") or []]
    db.session.execute(
        delete(SiteBackup).where(SiteBackup.site_id == site.id, SiteBackup.id.in_(ids)))


def migrated(site: Site, arguments: dict[str, Any], result: dict[str, Any]) -> None:
    """The site now lives on the target: platform, database server, domain (its context name
    follows), database and packages."""
    site_results.record_backup(site, result, "Pre-migration")
    platform = db.session.get(Platform, arguments.get("target_platform") or site.platform_id)
    if platform is not None:
        site.platform = platform
    if arguments.get("target_db_server"):
        server = db.session.get(Server, arguments["target_db_server"])
        if server is not None:
            site.db_server = server
    new_uri = str(result.get("uri") or "")
    if new_uri and new_uri != site.uri:
        contexts.unregister(site)
        db.session.flush()
        site.uri = new_uri
        contexts.register(site, new_uri)
        # The aliases provision gave the renamed site (the old domain among them when kept).
        site.aliases = site_aliases.alias_rows(site, new_uri, result.get("aliases") or [],
                                               result.get("redirect_aliases") or [],
                                               add_automatic=False)
    if result.get("profile"):
        site.profile = str(result["profile"])[:64]
    site_results.store_verified(site, result)


def cloned(task: Task, site: Site, result: dict[str, Any]) -> Site:
    """The original's backup is recorded; the copy becomes a new, enabled site record with the
    original's client, profile and language."""
    site_results.record_backup(site, result, "Pre-clone")
    clone = dict(result.get("clone") or {})
    arguments = task.arguments or {}
    platform = db.session.get(Platform, arguments.get("target_platform") or site.platform_id)
    server_id = arguments.get("target_db_server")
    server = db.session.get(Server, server_id) if server_id else site.db_server
    copy = Site(
        uri=str(clone.get("uri") or arguments.get("new_uri")),
        client=site.client,
        platform=platform or site.platform,
        db_server=server,
        profile=site.profile,
        language=site.language,
        status=SiteStatus.ENABLED,
    )
    db.session.add(copy)
    db.session.flush()
    contexts.register(copy, copy.uri)
    site_results.store_verified(copy, clone)
    return copy


def backups_of(site: Site) -> list[SiteBackup]:
    """The site's backups, newest first."""
    return list(db.session.scalars(
        select(SiteBackup).where(SiteBackup.site_id == site.id)
        .order_by(SiteBackup.created_at.desc(), SiteBackup.id.desc())))
