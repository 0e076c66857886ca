"""``hostmaster doctor``: list what no record owns on every server, or remove one orphan.

The listing and the removal are tasks (hostmaster/services/doctor.py) that the dispatcher runs
through provision on each server; this command queues them and waits for the dispatcher.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import click
from flask.cli import with_appcontext

from .extensions import db
from .models import Task, TaskLog, TaskStatus
from .services import doctor
from .services.errors import TaskNotAvailable

POLL_SECONDS = 0.5


@click.command("doctor")
@click.option("--remove", "remove_id", metavar="ID",
              help="Remove the orphan ID (its number or id in the last listing), once confirmed.")
@click.option("--yes", is_flag=True, help="Remove without asking (for scripts).")
@click.option("--last", is_flag=True, help="Show the last listing instead of making a new one.")
@click.option("--timeout", default=300.0, show_default=True,
              help="Seconds to wait for the dispatcher to run the tasks.")
@with_appcontext
def doctor_command(remove_id: str | None, yes: bool, last: bool, timeout: float) -> None:
    """List the databases, users, site folders, vhosts, contexts and backup archives that no
    record owns, on every server; or remove one. Nothing is removed without confirmation."""
    if remove_id:
        _remove(remove_id, yes, timeout)
        return
    if not last:
        listings = doctor.queue_listings()
        click.echo(f"Looking for orphans on {len(listings)} server(s) ...")
        _wait(listings, timeout, "hostmaster doctor --last")
    _show(doctor.last_listings())


def numbered() -> list[tuple[int, doctor.Listing, dict[str, str]]]:
    """Every orphan of the last listings with its number, in the order they are shown."""
    rows: list[tuple[int, doctor.Listing, dict[str, str]]] = []
    for listing in doctor.last_listings():
        for orphan in listing.orphans:
            rows.append((len(rows) + 1, listing, orphan))
    return rows


def _show(listings: Iterable[doctor.Listing]) -> None:
    number = 0
    for listing in listings:
        name = f"{listing.server.hostname}"
        task = listing.task
        if task is None:
            click.echo(f"{name}: never looked at; run `hostmaster doctor`.")
            continue
        when = f"{(task.finished_at or task.created_at):%Y-%m-%d %H:%M:%S} UTC, task #{task.id}"
        if task.status in doctor.PENDING:
            state = task.status.name.lower()
            click.echo(f"{name}: the listing is still {state} (task #{task.id}).")
            continue
        if task.status == TaskStatus.ERROR:
            click.echo(f"{name}: the listing failed ({when}): {_last_error(task)}")
            continue
        if not listing.orphans:
            click.echo(f"{name}: no orphans ({when}).")
        else:
            click.echo(f"{name} ({when}):")
        for orphan in listing.orphans:
            number += 1
            click.echo(f"  {number:>3}  {orphan['title']:<22}  {orphan['name']}  "
                       f"({orphan['detail']})  [{orphan['id']}]")
        if listing.skipped:
            click.echo("       Not listed now, as a running task or recent work may be making "
                       f"them: {', '.join(o['id'] for o in listing.skipped)}.")
    if number:
        click.echo("Remove one with `hostmaster doctor --remove N` (it asks first).")


def _remove(remove_id: str, yes: bool, timeout: float) -> None:
    rows = numbered()
    chosen = [row for row in rows if str(row[0]) == remove_id or row[2]["id"] == remove_id]
    if not chosen:
        raise click.ClickException(
            f"No orphan {remove_id!r} is in the last listing; run `hostmaster doctor` and use "
            "a number it shows."
        )
    if len(chosen) > 1:
        raise click.ClickException(
            f"{remove_id!r} is on several servers; use the number `hostmaster doctor --last` "
            "shows."
        )
    _number, listing, orphan = chosen[0]
    what = (f"the {orphan['title']} {orphan['name']} on {listing.server.hostname} "
            f"({orphan['detail']})")
    if not yes and not click.confirm(f"Remove {what}? This cannot be undone", default=False):
        raise click.ClickException("Nothing was removed.")
    try:
        task = doctor.queue_removal(listing.server.id, orphan["id"])
    except TaskNotAvailable as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Removing {what} (task #{task.id}) ...")
    _wait([task], timeout, "hostmaster task list")
    finished = db.session.get_one(Task, task.id)
    if finished.status != TaskStatus.SUCCESS:
        raise click.ClickException(f"The removal failed: {_last_error(finished)}")
    click.echo(f"Removed {what}.")


def _wait(waiting: list[Task], timeout: float, later: str) -> None:
    """Wait until every task of ``waiting`` has finished, or fail saying what to do."""
    ids = [task.id for task in waiting]
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        statuses = [db.session.get_one(Task, task_id).status for task_id in ids]
        db.session.commit()
        if all(status.finished for status in statuses):
            return
        if time.monotonic() > deadline:
            raise click.ClickException(
                f"No dispatcher ran the task(s) {', '.join(f'#{i}' for i in ids)} within "
                f"{timeout:g} s; is one running (`hostmaster dispatch --daemon`, or the cron "
                f"line)? They stay queued: run `{later}` once they have run."
            )
        time.sleep(POLL_SECONDS)


def _last_error(task: Task) -> str:
    line = db.session.scalar(
        db.select(TaskLog).where(TaskLog.task_id == task.id, TaskLog.level == "error")
        .order_by(TaskLog.id.desc()).limit(1)
    )
    return line.message if line is not None else "see the task's log."


def commands() -> list[click.Command]:
    """The commands of this module, for the app's CLI."""
    return [doctor_command]
