"""Site task types that move a site or its backups: restore, backup-delete, migrate, clone.

Their arguments are ids (``backup_id``, ``backup_ids``, ``target_platform``,
``target_db_server``) and a domain (``new_uri``); ``options`` turns them into what provision
needs (backup files, context names) when the task runs, so a task queued by another part of
Hostmaster (a platform migrate) needs nothing else. Availability is the site tasks' rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..models import Site, Task
from ..services import site_moves
from .site import rule, site_task
from .site_move_forms import SiteBackupDeleteForm, SiteCloneForm, SiteMigrateForm, SiteRestoreForm

Result = TypeVar("Result")


def _with_arguments(work: Callable[[Site, dict[str, Any]], Result]) -> Callable[[Task, Site],
                                                                                 Result]:
    """A task type's hook ``(task, site)`` made from a service taking the task's arguments."""
    return lambda task, site: work(site, task.arguments or {})


def _needs_backups(name: str) -> Callable[[Site], str | None]:
    """The site tasks' rule, and: the site has a backup to work on."""
    site_rule = rule(name)

    def refusal(site: Site) -> str | None:
        reason = site_rule(site)
        if reason is None and not site_moves.backups_of(site):
            return f"{site.uri} has no backups; back it up first."
        return reason

    return refusal


TASK_TYPES = [
    site_task(
        "restore",
        "Restore",
        "Back the site up, then put it back as the chosen backup holds it.",
        form=SiteRestoreForm,
        refusal=_needs_backups("restore"),
        options=_with_arguments(site_moves.restore_options),
        on_success=lambda task, site, result: site_moves.restored(site, result),
    ),
    site_task(
        "backup-delete",
        "Delete backups",
        "Remove the chosen backups' files and records.",
        form=SiteBackupDeleteForm,
        refusal=_needs_backups("backup-delete"),
        options=_with_arguments(site_moves.backup_delete_options),
        on_success=lambda task, site, result: site_moves.backups_deleted(
            site, task.arguments or {}),
    ),
    site_task(
        "migrate",
        "Migrate",
        "Move the site to another platform, database server or domain; on any failure it "
        "stays where it is.",
        form=SiteMigrateForm,
        feature="migrate",
        options=_with_arguments(site_moves.migrate_options),
        related=_with_arguments(site_moves.move_targets),
        on_success=lambda task, site, result: site_moves.migrated(
            site, task.arguments or {}, result),
    ),
    site_task(
        "clone",
        "Clone",
        "Copy the site to a new domain, on this or another platform.",
        form=SiteCloneForm,
        feature="clone",
        options=_with_arguments(site_moves.move_options),
        related=_with_arguments(site_moves.move_targets),
        on_success=site_moves.cloned,
    ),
]
