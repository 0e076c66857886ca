"""``hostmaster task``: list, show, read the log, follow, cancel, run again, update status."""

from __future__ import annotations

import click

from .. import access
from ..api.serialize import as_dict
from ..models import TaskStatus
from ..services import task_queries, task_status, tasks
from ..ui import format_duration, format_time
from . import lookup
from .base import NounGroup
from .follow import follow, log_line, report, task_title, wait_options
from .options import page, page_options
from .output import emit, fields, listing, output_options, table
from .task_commands import answer_queued

task_cli = NounGroup("task", help="Tasks: list, show, log, follow, cancel, retry.")

@task_cli.command("list")
@click.option("--status", type=click.Choice([s.name.lower() for s in TaskStatus]))
@click.option("--type", "type_name", default="", help="Only tasks of this type (e.g. verify).")
@click.option("--site", "site_word", metavar="SITE", help="Only the site's tasks.")
@click.option("--platform", "platform_word", metavar="PLATFORM", help="Only the platform's.")
@click.option("--server", "server_word", metavar="SERVER", help="Only the server's.")
@click.option("--search", default="", help="Only tasks of what is named like this.")
@page_options
@output_options
def task_list(status: str | None, type_name: str, site_word: str | None,
              platform_word: str | None, server_word: str | None, search: str,
              limit: int, offset: int) -> None:
    """List tasks, newest first (as the Tasks page)."""
    kind: str | None = None
    entity_id: int | None = None
    if site_word:
        kind, entity_id = "site", lookup.site(site_word).id
    if platform_word:
        kind, entity_id = "platform", lookup.platform(platform_word).id
    if server_word:
        kind, entity_id = "server", lookup.server(server_word).id
    chosen = TaskStatus[status.upper()] if status else None
    query, _sorting = task_queries.task_list({"type": type_name, "q": search}, chosen, kind,
                                             entity_id, viewer=access.COMMAND_LINE)
    rows, total = page(query, limit, offset)
    titles = task_queries.entity_titles(rows)
    emit(listing([as_dict(row) for row in rows], total, limit, offset), [
        *table(["ID", "STATUS", "TYPE", "ON", "CREATED", "TOOK"],
               [[t.id, t.status.name.lower(), t.type,
                 titles.get((t.entity_kind, t.entity_id), f"{t.entity_kind} {t.entity_id}"),
                 format_time(t.created_at), format_duration(t.duration)] for t in rows]),
        f"{len(rows)} of {total} task(s).",
    ])


@task_cli.command("show")
@click.argument("task_word", metavar="TASK")
@output_options
def task_show(task_word: str) -> None:
    """A task: what, on what, when, its arguments and status."""
    task = lookup.task(task_word)
    emit(as_dict(task), fields([
        ("id", task.id), ("task", task_title(task)), ("status", task.status.name.lower()),
        ("arguments", ", ".join(f"{k}={v}" for k, v in (task.arguments or {}).items())
         or "none"),
        ("asked by", task.user.username if task.user is not None else "the system"),
        ("created", format_time(task.created_at)),
        ("started", format_time(task.started_at, "not yet")),
        ("finished", format_time(task.finished_at, "not yet")),
        ("took", format_duration(task.duration)),
    ]))


@task_cli.command("log")
@click.argument("task_word", metavar="TASK")
@click.option("--after", default=0, type=click.IntRange(0), help="Only lines after this line id.")
@output_options
def task_log(task_word: str, after: int) -> None:
    """A task's log as it is now (the REST API's log object with --json)."""
    task = lookup.task(task_word)
    lines = tasks.log_of(task, after)
    emit({"status": task.status.name.lower(), "lines": [as_dict(line) for line in lines]},
         [log_line(line) for line in lines] or ["The log is empty."])


@task_cli.command("follow")
@click.argument("task_word", metavar="TASK")
@click.option("--dispatch", is_flag=True,
              help="Run dispatch passes from this command until the task ends.")
@output_options
def task_follow(task_word: str, dispatch: bool) -> None:
    """Print a task's log as it is written until the task ends, then its status; the exit
    code says how it ended (0 success, 2 error, 3 warnings). Ctrl-C stops following, not
    the task."""
    report(follow(lookup.task(task_word), dispatch=dispatch))


@task_cli.command("cancel")
@click.argument("task_word", metavar="TASK")
@output_options
def task_cancel(task_word: str) -> None:
    """Cancel a queued task (it ends as a warning)."""
    task = lookup.task(task_word)
    tasks.cancel(task)
    emit(as_dict(task), f"Task #{task.id} {task_title(task)} is cancelled.")


@task_cli.command("retry")
@click.argument("task_word", metavar="TASK")
@wait_options
@output_options
def task_retry(task_word: str, wait: bool, dispatch: bool) -> None:
    """Run a finished task again, as a new task with the same arguments."""
    again = tasks.retry(lookup.task(task_word))
    answer_queued(again, wait=wait, dispatch=dispatch)


@task_cli.command("update-status")
@click.argument("task_word", metavar="TASK")
@output_options
def task_update_status(task_word: str) -> None:
    """Set a finished task's status again from its log (or end one stuck as processing whose
    dispatcher is gone)."""
    task = lookup.task(task_word)
    status = task_status.update_status(task)
    emit(as_dict(task), f"Task #{task.id} is now {status.name.lower()}, as its log says.")
