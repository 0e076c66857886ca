"""``hostmaster cron install|remove``, ``pause``, ``resume`` and ``concurrency``: running the
dispatcher from cron, and stopping or throttling every dispatcher through the store."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from .config import VAR_DIR
from .console.base import NounCommand
from .models import Task
from .services import crontab, dispatch_control
from .services.errors import ValidationError

cron_cli = AppGroup("cron", help="Install or remove the crontab line that runs dispatch.py.")

_user_option = click.option(
    "--user", default=None, help="Edit this user's crontab (crontab -u; needs root)."
)
_file_option = click.option(
    "--file",
    "crontab_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Edit this crontab file instead of a user's crontab.",
)


def _crontab(user: str | None, crontab_file: Path | None) -> crontab.Crontab:
    if user and crontab_file:
        raise click.UsageError("Give --user or --file, not both.")
    return crontab.Crontab(user=user, file=crontab_file)


@cron_cli.command("install")
@_user_option
@_file_option
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file of VAR=value lines (e.g. /etc/default/hostmaster) each pass reads first.",
)
@click.option(
    "--log",
    "log_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: str(VAR_DIR / "dispatch.log"),
    show_default="var/dispatch.log",
    help="Where each pass's output is appended.",
)
def cron_install(
    user: str | None, crontab_file: Path | None, env_file: Path | None, log_file: Path
) -> None:
    """Run dispatch.py every minute from cron (once: installing again replaces the line)."""
    unseen = crontab.missing_variables(env_file)
    if unseen:
        raise click.ClickException(
            f"{', '.join(unseen)} set here would not reach cron's passes, which would then "
            "work on another store. Put the variables in a file readable only by the "
            "dispatcher's user (mode 0600) and give it with --env-file."
        )
    try:
        line = crontab.dispatch_line(env_file, log_file.resolve())
        changed = crontab.install(_crontab(user, crontab_file), line)
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(("Installed: " if changed else "Already installed: ") + line)


@cron_cli.command("remove")
@_user_option
@_file_option
def cron_remove(user: str | None, crontab_file: Path | None) -> None:
    """Remove the dispatcher's crontab line; other lines stay as they are."""
    try:
        removed = crontab.remove(_crontab(user, crontab_file))
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Removed the dispatcher's crontab line." if removed else "There was no line.")


def _describe(task: Task) -> str:
    return f"#{task.id} {task.type} on {task.entity_kind} {task.entity_id}"


@click.command("pause", cls=NounCommand)
@with_appcontext
@click.option(
    "--timeout",
    default=600.0,
    show_default=True,
    help="Seconds to wait for running tasks to finish (0: do not wait).",
)
def pause(timeout: float) -> None:
    """Stop dispatch: claim no more tasks anywhere, then wait for the running ones to end."""
    dispatch_control.pause()
    click.echo("Dispatch is paused: no dispatcher claims new tasks until `hostmaster resume`.")

    def progress(running: list[Task]) -> None:
        if running:
            listed = ", ".join(_describe(task) for task in running[:5])
            more = f" and {len(running) - 5} more" if len(running) > 5 else ""
            click.echo(f"Waiting for {len(running)} running task(s): {listed}{more}.")

    still = dispatch_control.wait_until_idle(timeout, progress)
    if still:
        raise click.ClickException(
            f"{len(still)} task(s) still running after {timeout:g} s; dispatch stays paused. "
            "Run `hostmaster pause` again to keep waiting."
        )
    click.echo("No task is running.")


@click.command("resume", cls=NounCommand)
@with_appcontext
def resume() -> None:
    """Let the dispatchers claim tasks again."""
    was_paused = dispatch_control.resume()
    click.echo("Dispatch resumed." if was_paused else "Dispatch was not paused.")


@click.command("concurrency", cls=NounCommand)
@with_appcontext
@click.argument("tasks", required=False, type=int)
@click.option("--reset", is_flag=True, help="Go back to HOSTMASTER_DISPATCH_CONCURRENCY.")
def concurrency(tasks: int | None, reset: bool) -> None:
    """Show, or set, how many tasks may run at once over all dispatchers."""
    if tasks is not None or reset:
        try:
            dispatch_control.set_concurrency(None if reset else tasks)
        except ValidationError as exc:
            raise click.ClickException(str(exc)) from None
    current = dispatch_control.state()
    click.echo(f"At most {current.concurrency} task(s) run at once.")


def commands() -> list[click.Command]:
    """The commands of this module, for the app's CLI."""
    return [cron_cli, pause, resume, concurrency]
