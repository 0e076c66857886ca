"""Site task types that move a site or its backups: restore, backup-delete, migrate, clone.

Their arguments are ids (``backup_id``, ``backup_ids``, ``target_platform``,
``target_db_server``) and a domain (``new_uri``); ``options`` turns them into what provision
needs (backup files, context names) when the task runs, so a task queued by another part of
Hostmaster (a platform migrate) needs nothing else. Availability is the site tasks' rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..models import Entity, Site, Task
from .registry import TaskType, register
from .site import rule
from .site_move_forms import SiteBackupDeleteForm, SiteCloneForm, SiteMigrateForm, SiteRestoreForm


def _restore_options(task: Task, site: Site) -> dict[str, Any]:
    from ..services import site_moves

    return site_moves.restore_options(site, task.arguments or {})


def _backup_delete_options(task: Task, site: Site) -> dict[str, Any]:
    from ..services import site_moves

    return site_moves.backup_delete_options(site, task.arguments or {})


def _move_options(task: Task, site: Site) -> dict[str, Any]:
    from ..services import site_moves

    return site_moves.move_options(site, task.arguments or {})


def _move_targets(task: Task, site: Site) -> list[Entity]:
    from ..services import site_moves

    return site_moves.move_targets(site, task.arguments or {})


def _restored(task: Task, site: Site, result: dict[str, Any]) -> None:
    from ..services import site_moves

    site_moves.restored(site, result)


def _backups_deleted(task: Task, site: Site, result: dict[str, Any]) -> None:
    from ..services import site_moves

    site_moves.backups_deleted(site, task.arguments or {})


def _migrated(task: Task, site: Site, result: dict[str, Any]) -> None:
    from ..services import site_moves

    site_moves.migrated(site, task.arguments or {}, result)


def _cloned(task: Task, site: Site, result: dict[str, Any]) -> None:
    from ..services import site_moves

    site_moves.cloned(task, site, result)


def _needs_backups(name: str) -> Callable[[Site], str | None]:
    """The site tasks' rule, and: the site has a backup to work on."""
    site_rule = rule(name)

    def refusal(site: Site) -> str | None:
        from ..services import site_moves

        reason = site_rule(site)
        if reason is None and not site_moves.backups_of(site):
            return f"{site.uri} has no backups; back it up first."
        return reason

    return refusal


def _site_task(name: str, title: str, description: str, **kwargs: Any) -> None:
    kwargs.setdefault("refusal", rule(name))
    register(
        TaskType(
            entity_kind="site",
            name=name,
            title=title,
            command=name,
            description=description,
            **kwargs,
        )
    )


_site_task(
    "restore",
    "Restore",
    "Back the site up, then put it back as the chosen backup holds it.",
    form=SiteRestoreForm,
    refusal=_needs_backups("restore"),
    options=_restore_options,
    on_success=_restored,
)
_site_task(
    "backup-delete",
    "Delete backups",
    "Remove the chosen backups' files and records.",
    form=SiteBackupDeleteForm,
    refusal=_needs_backups("backup-delete"),
    options=_backup_delete_options,
    on_success=_backups_deleted,
)
_site_task(
    "migrate",
    "Migrate",
    "Move the site to another platform, database server or domain; on any failure it stays "
    "where it is.",
    form=SiteMigrateForm,
    feature="migrate",
    options=_move_options,
    related=_move_targets,
    on_success=_migrated,
)
_site_task(
    "clone",
    "Clone",
    "Copy the site to a new domain, on this or another platform.",
    form=SiteCloneForm,
    feature="clone",
    options=_move_options,
    related=_move_targets,
    on_success=_cloned,
)
