"""``hostmaster backup``: a site's backups: list them, take one, restore one, delete some.

Taking, restoring and deleting are the site's backup, restore and backup-delete tasks, queued
exactly as ``hostmaster site backup|restore|backup-delete`` (and the panel's buttons) queue them.
"""

from __future__ import annotations

import click

from ..api.serialize import as_dict
from ..services.site_moves import backups_of
from ..ui import format_size, format_time
from . import lookup
from .base import NounGroup
from .follow import wait_options
from .output import emit, listing, output_options, table
from .task_commands import answer_queued, queue_task

backup_cli = NounGroup("backup", help="A site's backups: list, add, restore and delete.")


@backup_cli.command("list")
@click.argument("site_word", metavar="SITE")
@output_options
def backup_list(site_word: str) -> None:
    """A site's backups, newest first."""
    site = lookup.site(site_word)
    rows = backups_of(site)
    emit(listing([as_dict(row) for row in rows], len(rows), len(rows), 0), [
        *table(["ID", "TAKEN", "SIZE", "FILE", "DESCRIPTION"],
               [[b.id, format_time(b.created_at), format_size(b.size),
                 b.filename.rsplit("/", 1)[-1], b.description] for b in rows]),
        f"{len(rows)} backup(s) of {site.uri}.",
    ])


@backup_cli.command("add")
@click.argument("site_word", metavar="SITE")
@click.option("--description", default="", help="Kept with the backup.")
@wait_options
@output_options
def backup_add(site_word: str, description: str, wait: bool, dispatch: bool) -> None:
    """Back a site up (its backup task)."""
    task = queue_task(lookup.site(site_word), "backup", {"description": description})
    answer_queued(task, wait=wait, dispatch=dispatch)


@backup_cli.command("restore")
@click.argument("site_word", metavar="SITE")
@click.argument("backup_word", metavar="BACKUP")
@wait_options
@output_options
def backup_restore(site_word: str, backup_word: str, wait: bool, dispatch: bool) -> None:
    """Put a site back as BACKUP (its id or file name) holds it (the site's restore task)."""
    task = queue_task(lookup.site(site_word), "restore", {"backup_id": backup_word})
    answer_queued(task, wait=wait, dispatch=dispatch)


@backup_cli.command("delete")
@click.argument("site_word", metavar="SITE")
@click.argument("backup_words", metavar="BACKUP...", nargs=-1, required=True)
@wait_options
@output_options
def backup_delete(site_word: str, backup_words: tuple[str, ...], wait: bool,
                  dispatch: bool) -> None:
    """Delete backups of a site (the site's backup-delete task)."""
    task = queue_task(lookup.site(site_word), "backup-delete", {"backup_ids": backup_words})
    answer_queued(task, wait=wait, dispatch=dispatch)
