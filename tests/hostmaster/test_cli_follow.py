"""Following a task from the command line: its log as it is written and its final status, the
exit code of how it ended, Ctrl-C that stops the following but never the task, and the
progress line (step n of about m, time elapsed)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

from flask import Flask
from sqlalchemy import select

from hostmaster.console.follow import Follower
from hostmaster.extensions import db
from hostmaster.models import Task, TaskLog, TaskStatus
from hostmaster.services import task_queries, tasks
from tests.fixtures.console import BIN, CONSOLE_STORE, Console
from tests.fixtures.stack_process import wait_until
from tests.hostmaster.helpers import log_text, null_server, queue_noop
from tests.hostmaster.site_helpers import finish


def as_from_a_terminal() -> None:
    """Ctrl-C works in the follower even when pytest itself was started in the background
    (a shell without job control starts background commands with SIGINT ignored, and a
    child inherits that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def queued_noop(console: Console, seconds: float) -> int:
    """A no-op task queued on a server of no services (whose own verify is cancelled)."""
    app = console.app()
    with app.app_context():
        server = null_server("one.example.com")
        verify = tasks.pending_task(server, "verify")
        assert verify is not None
        tasks.cancel(verify)
        task_id = queue_noop(server, seconds).id
        db.engine.dispose()
    return task_id


@CONSOLE_STORE
def test_task_follow_with_dispatch_prints_the_log_and_ends_with_the_status(
        console: Console) -> None:
    task_id = queued_noop(console, 0.5)
    done = console.hostmaster("task", "follow", str(task_id), "--dispatch")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(re.fullmatch(r"\d\d:\d\d:\d\d info\s+No-op started on @server_oneexamplecom\.",
                            line) for line in lines), done.stdout
    assert "Waited 0.5 seconds." in done.stdout
    assert re.fullmatch(rf"Task #{task_id} No-op of one\.example\.com: success after .+ s\.",
                        lines[-1])


@CONSOLE_STORE
def test_a_failed_task_exits_2_with_its_first_error_and_its_json(console: Console) -> None:
    task_id = queued_noop(console, 1)
    app = console.app()
    with app.app_context():  # a wait the panel's form refuses, stored by hand: provision
        db.session.get_one(Task, task_id).arguments = {"seconds": -5}  # refuses it too
        db.session.commit()
        db.engine.dispose()
    done = console.hostmaster("task", "follow", str(task_id), "--dispatch", "--json")
    assert done.returncode == 2
    answer = json.loads(done.stdout)
    assert (answer["id"], answer["type"], answer["status"]) == (task_id, "noop", "error")
    assert (f"Task #{task_id} No-op of one.example.com failed: The option --seconds is refused: "
            "--seconds must be") in done.stderr
    assert "Traceback" not in done.stderr


@CONSOLE_STORE
def test_ctrl_c_stops_following_but_the_task_goes_on_to_its_end(console: Console) -> None:
    task_id = queued_noop(console, 4)
    # The follower and the pass it starts, as from a terminal: Ctrl-C signals the whole
    # foreground process group, which is the follower's here.
    follower = subprocess.Popen([str(BIN / "hostmaster"), "task", "follow", str(task_id),
                                 "--dispatch"], env=console.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                preexec_fn=as_from_a_terminal)
    app = console.app()

    def started() -> bool:
        with app.app_context():
            found = db.session.scalar(select(TaskLog.id).where(
                TaskLog.task_id == task_id, TaskLog.message.like("No-op started%")))
            db.session.remove()
            return found is not None

    try:
        wait_until(started, "the no-op did not start", 60)
        os.killpg(follower.pid, signal.SIGINT)
        out, err = follower.communicate(timeout=30)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert follower.returncode == 130, err
    assert f"Stopped following task #{task_id}; the task goes on" in err
    assert "Traceback" not in err

    def finished() -> bool:
        with app.app_context():
            task = db.session.get(Task, task_id)
            done = task is not None and task.status.finished
            db.session.remove()
            return done

    wait_until(finished, "the no-op did not finish after the follower stopped", 60)
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task is not None and task.status == TaskStatus.SUCCESS, log_text(task_id)
        assert "Waited 4 seconds." in log_text(task_id)
        db.engine.dispose()


def test_the_progress_line_counts_steps_against_the_last_successful_run(app: Flask) -> None:
    with app.app_context():
        server = null_server("one.example.com")
        earlier = tasks.pending_task(server, "verify")
        assert earlier is not None
        assert finish(earlier, levels=("info", "info", "info", "info")) == TaskStatus.SUCCESS
        now = tasks.queue(server, "verify")
        assert task_queries.typical_log_length(now) == 4
        follower = Follower(now.id, "Verify of one.example.com", 4, dispatch=False,
                            show_log=True)
        assert follower.progress(TaskStatus.QUEUED).startswith(
            f"Task #{now.id} Verify of one.example.com: queued, ")
        follower.seen = 3
        follower.running_since = time.monotonic() - 12
        assert follower.progress(TaskStatus.PROCESSING) == (
            f"Task #{now.id} Verify of one.example.com: step 3 of about 4, 12 s elapsed")
        follower.seen = 6  # more than last time: no estimate any more
        assert follower.progress(TaskStatus.PROCESSING).endswith(": step 6, 12 s elapsed")


@CONSOLE_STORE
def test_following_while_dispatch_is_paused_says_so_and_starts_no_pass(
        console: Console) -> None:
    task_id = queued_noop(console, 0)
    assert console.hostmaster("pause", "--timeout", "0").returncode == 0
    follower = subprocess.Popen([str(BIN / "hostmaster"), "task", "follow", str(task_id),
                                 "--dispatch"], env=console.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                preexec_fn=as_from_a_terminal)
    try:
        assert follower.stderr is not None
        said = follower.stderr.readline()  # the first sentence, as soon as it is known
        os.killpg(follower.pid, signal.SIGINT)
        follower.wait(timeout=30)
    finally:
        if follower.poll() is None:
            follower.kill()
        follower.communicate()
    assert said.startswith(f"Task #{task_id} waits: dispatch is paused. `hostmaster resume`")
    assert follower.returncode == 130
    app = console.app()
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task is not None and task.status == TaskStatus.QUEUED  # nothing ran it
        db.engine.dispose()
