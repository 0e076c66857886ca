"""Following a task as the live page does: its log as it is written, a progress line (step n of
about m, time elapsed) and its final status.

``--wait`` on every task command and ``hostmaster task follow N`` poll the store twice a second
for new lines with the live page's own helper (hostmaster/tasks/events.py). Tasks are run by
a dispatcher (``hostmaster dispatch --daemon``, ``hostmaster serve``, or cron); with
``--dispatch`` the command starts dispatch passes itself (``hostmaster dispatch``, each in a
session of its own) until the task has ended. Ctrl-C stops the following, never the task: a
pass started here is not in the terminal's process group, so it finishes its tasks.

"Step n of about m": n is the number of lines logged so far; m the number the last successful
task of the same type logged (services/task_queries.py, ``typical_log_length``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlalchemy import select

from ..api.serialize import as_dict
from ..config import VAR_DIR
from ..extensions import db
from ..models import Entity, Task, TaskLog, TaskStatus, utcnow
from ..services import dispatch_control, task_queries, tasks
from ..tasks import events
from ..ui import format_duration
from .output import (
    MODE,
    F,
    Interrupted,
    TaskFailed,
    TaskWarned,
    emit,
    stderr_is_terminal,
    warn,
)

POLL_SECONDS = 0.5
#: Where the output of dispatch passes started with --dispatch goes.
DISPATCH_LOG = VAR_DIR / "dispatch.log"
#: After this long in the queue without --dispatch, say what may be missing.
QUEUED_HINT_SECONDS = 10.0
LEVEL_COLOURS = {"error": "red", "warning": "yellow", "success": "green", "ok": "green",
                 "debug": "bright_black"}


def task_title(task: Task) -> str:
    """``Migrate of example.com``."""
    entity = tasks.entity_of(task)
    name = entity.title if entity is not None else f"{task.entity_kind} {task.entity_id}"
    return f"{task_queries.type_title(task)} of {name}"


def log_line(line: TaskLog) -> str:
    """``14:03:07 warning  message`` (the level coloured on a terminal)."""
    colour = LEVEL_COLOURS.get(line.level)
    level = click.style(f"{line.level:<7}", fg=colour) if colour else f"{line.level:<7}"
    return f"{line.created_at:%H:%M:%S} {level}  {line.message}"


@dataclass
class Follower:
    """The state of one following: what was shown, since when, and the dispatch pass."""

    task_id: int
    title: str
    expected_lines: int | None
    dispatch: bool
    show_log: bool
    seen: int = 0
    after: int = 0
    queued_since: float = field(default_factory=time.monotonic)
    running_since: float | None = None
    hinted: bool = False
    progress_shown: bool = False
    dispatch_pass: subprocess.Popen[bytes] | None = None

    def run(self) -> TaskStatus | None:
        """Poll until the task has finished (or is gone); its final status."""
        while True:
            status, lines = events.poll(self.task_id, self.after)
            for line in lines:
                self.after = line.id
                self.seen += 1
                if self.show_log:
                    self.clear_progress()
                    click.echo(log_line(line))
            if status is None or status.finished:
                self.clear_progress()
                return status
            if status == TaskStatus.PROCESSING and self.running_since is None:
                self.running_since = time.monotonic() - self._seconds_running()
            if status == TaskStatus.QUEUED:
                self._help_it_start()
            self._show_progress(status)
            time.sleep(POLL_SECONDS)

    def _seconds_running(self) -> float:
        started = db.session.scalar(select(Task.started_at).where(Task.id == self.task_id))
        db.session.remove()
        return max(0.0, (utcnow() - started).total_seconds()) if started is not None else 0.0

    def _help_it_start(self) -> None:
        """With --dispatch: a pass whenever none runs (none while dispatch is paused). Else,
        once, what may be missing."""
        if self.dispatch and self.dispatch_pass is not None:
            ended = self.dispatch_pass.poll()
            if ended is None:
                return  # the pass is running
            self.dispatch_pass = None
            if ended:  # a pass that failed would fail again: say so, start no more
                self.dispatch = False
                self._say(f"A dispatch pass ended with status {ended}; its output is in "
                          f"{DISPATCH_LOG}. Waiting for another dispatcher to run the task.")
        waited = time.monotonic() - self.queued_since
        if not self.dispatch and (self.hinted or waited < QUEUED_HINT_SECONDS):
            return
        paused = dispatch_control.state().paused
        db.session.remove()
        if paused:
            if not self.hinted:
                self._say(f"Task #{self.task_id} waits: dispatch is paused. `hostmaster "
                          "resume` lets the dispatchers claim tasks again.")
            self.hinted = True
        elif self.dispatch:
            self.dispatch_pass = start_dispatch_pass()
        elif not self.hinted:
            self.hinted = True
            self._say(f"Task #{self.task_id} is still queued after {QUEUED_HINT_SECONDS:g} s: "
                      "is a dispatcher running? Start one with `hostmaster dispatch --daemon` "
                      "(or `hostmaster serve`), or add --dispatch to run it from this command.")

    def _say(self, sentence: str) -> None:
        self.clear_progress()
        warn(sentence)

    def progress(self, status: TaskStatus) -> str:
        """The progress line: what the task is doing and for how long."""
        if status == TaskStatus.QUEUED or self.running_since is None:
            waited = format_duration(time.monotonic() - self.queued_since)
            return f"Task #{self.task_id} {self.title}: queued, {waited}"
        step = f"step {self.seen}"
        if self.expected_lines and self.seen <= self.expected_lines:
            step += f" of about {self.expected_lines}"
        elapsed = format_duration(time.monotonic() - self.running_since)
        return f"Task #{self.task_id} {self.title}: {step}, {elapsed} elapsed"

    def _show_progress(self, status: TaskStatus) -> None:
        if not stderr_is_terminal():
            return
        click.echo("\r\x1b[K" + self.progress(status), nl=False, err=True)
        self.progress_shown = True

    def clear_progress(self) -> None:
        """Take the progress line off the terminal (before a log line or the end)."""
        if self.progress_shown:
            click.echo("\r\x1b[K", nl=False, err=True)
            self.progress_shown = False


def start_dispatch_pass() -> subprocess.Popen[bytes]:
    """One ``hostmaster dispatch`` pass in a session of its own, so that Ctrl-C does not reach
    it; its output goes to var/dispatch.log, as cron's passes' does (not to this command's
    output, which a script may read to its end)."""
    DISPATCH_LOG.parent.mkdir(parents=True, exist_ok=True)
    with DISPATCH_LOG.open("ab") as log:
        return subprocess.Popen([str(Path(sys.executable).with_name("hostmaster")), "dispatch"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)


def follow(task: Task, *, dispatch: bool) -> Task:
    """Show ``task``'s log until it has ended; the finished task, read again from the store.

    Ctrl-C raises Interrupted (exit code 130) saying that the task goes on."""
    follower = Follower(task.id, task_title(task), task_queries.typical_log_length(task),
                        dispatch=dispatch, show_log=not MODE.json)
    try:
        follower.run()
    except KeyboardInterrupt:
        follower.clear_progress()
        raise Interrupted(
            f"Stopped following task #{task.id}; the task goes on (`hostmaster task follow "
            f"{task.id}` shows it again).") from None
    finished = db.session.get(Task, task.id)
    if finished is None:
        raise TaskFailed(f"Task #{task.id} was removed while it was followed.")
    return finished


def ended(task: Task) -> str:
    """``Task #12 Migrate of example.com: success after 14 s.``"""
    took = f" after {format_duration(task.duration)}" if task.duration is not None else ""
    return f"Task #{task.id} {task_title(task)}: {task.status.name.lower()}{took}."


def exit_as_it_ended(task: Task) -> None:
    """Raise TaskFailed (exit code 2, with its first error line) or TaskWarned (exit code 3)
    unless ``task`` succeeded."""
    if task.status == TaskStatus.ERROR:
        first = next((line.message for line in tasks.log_of(task) if line.level == "error"),
                     "its log says why")
        raise TaskFailed(f"Task #{task.id} {task_title(task)} failed: {first}")
    if task.status == TaskStatus.WARNING:
        raise TaskWarned(f"Task #{task.id} {task_title(task)} ended with warnings; read its "
                         f"log (`hostmaster task log {task.id}`).")


def report(task: Task) -> None:
    """Print how a followed task ended (its JSON object with --json) and exit as it ended:
    0 success, 2 error, 3 warnings."""
    emit(as_dict(task), ended(task))
    exit_as_it_ended(task)


def answer_created(kind: str, entity: Entity, said: str, task: Task | None, *, wait: bool,
                   dispatch: bool) -> None:
    """Say what was created; with --json ``{"<kind>": its object, "task": its first task}``
    (the REST API's answer to a new site). With --wait (or --dispatch) follow that task
    first, and exit as it ended."""
    if task is not None and (wait or dispatch):
        warn(f"{said}; following task #{task.id}.")
        task = follow(task, dispatch=dispatch)
        entity = tasks.entity_of(task) or entity
        said = ended(task)
    elif task is not None:
        said += f"; {task_title(task)} is queued as task #{task.id}."
    emit({kind: as_dict(entity), "task": as_dict(task) if task is not None else None}, said)
    if task is not None and task.status.finished:
        exit_as_it_ended(task)


def wait_options(function: F) -> F:
    """``--wait`` and ``--dispatch`` for a command that queues a task."""
    function = click.option(
        "--dispatch", is_flag=True,
        help="Run dispatch passes from this command until the task ends, for when no "
             "dispatcher runs (implies --wait).",
    )(function)
    return click.option(
        "--wait", is_flag=True,
        help="Follow the task's log until it ends; the exit code says how it ended "
             "(0 success, 2 error, 3 warnings). Ctrl-C stops following, not the task.",
    )(function)
