"""Dispatcher control: the crontab line, pause and resume, the concurrency setting, and
Update status, on both stores."""

from __future__ import annotations

import logging
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hostmaster.dispatcher import claim, dispatch_once
from hostmaster.extensions import db
from hostmaster.models import Server, Setting, Task, TaskStatus, utcnow
from hostmaster.services import crontab, dispatch_control, tasks
from hostmaster.services.errors import TaskNotAvailable
from tests.fixtures.app import AuthActions
from tests.hostmaster.helpers import log_text, null_server, project_root, queue_noop, status_counts
from tests.hostmaster.pages import field_error, text

OTHER_LINES = "MAILTO=ops@example.com\n15 3 * * * /usr/local/bin/backup-everything\n"


# -- the crontab line ------------------------------------------------------------------------


def _dispatch_lines(crontab_text: str) -> list[str]:
    return [row for row in crontab_text.splitlines() if "dispatch.py" in row]


def test_cron_install_writes_one_line_with_the_venv_python_and_keeps_other_lines(
    runner: Any, tmp_path: Path
) -> None:
    table = tmp_path / "crontab"
    table.write_text(OTHER_LINES)
    for _ in range(2):  # installing twice leaves one line
        result = runner.invoke(args=["cron", "install", "--file", str(table)])
        assert result.exit_code == 0, result.output
    assert "Already installed" in result.output
    lines = _dispatch_lines(table.read_text())
    assert len(lines) == 1
    assert lines[0].startswith("* * * * * ")
    assert f"{sys.executable} {project_root() / 'dispatch.py'}" in lines[0]
    assert Path(sys.executable).is_absolute()
    assert table.read_text().startswith(OTHER_LINES)

    result = runner.invoke(args=["cron", "remove", "--file", str(table)])
    assert result.exit_code == 0 and "Removed" in result.output
    assert table.read_text() == OTHER_LINES
    result = runner.invoke(args=["cron", "remove", "--file", str(table)])
    assert result.exit_code == 0 and "There was no line" in result.output
    assert table.read_text() == OTHER_LINES


def test_cron_install_reads_an_environment_file_instead_of_putting_secrets_on_the_line(
    runner: Any, tmp_path: Path
) -> None:
    table = tmp_path / "crontab"
    env_file = tmp_path / "hostmaster.env"
    env_file.write_text("HOSTMASTER_DATABASE_URL=mysql+pymysql://u:hunter2@127.0.0.1/h\n")
    env_file.chmod(0o600)
    result = runner.invoke(
        args=["cron", "install", "--file", str(table), "--env-file", str(env_file)],
        env={"HOSTMASTER_DATABASE_URL": "mysql+pymysql://u:hunter2@127.0.0.1/h"},
    )
    assert result.exit_code == 0, result.output
    (line,) = _dispatch_lines(table.read_text())
    assert f". {env_file}" in line and "hunter2" not in line


def test_cron_install_refuses_when_cron_would_not_see_the_store_and_writes_nothing(
    runner: Any, tmp_path: Path
) -> None:
    table = tmp_path / "crontab"
    table.write_text(OTHER_LINES)
    result = runner.invoke(
        args=["cron", "install", "--file", str(table)],
        env={"HOSTMASTER_DATABASE_URL": "mysql+pymysql://u:p@127.0.0.1/h"},
    )
    assert result.exit_code != 0
    assert "--env-file" in result.output
    assert table.read_text() == OTHER_LINES


def test_the_crontab_line_runs_a_real_dispatch_pass(app: Flask, tmp_path: Path) -> None:
    """The installed line, run by a shell as cron would, dispatches the queued task."""
    with app.app_context():
        null_server()
    env_file = tmp_path / "hostmaster.env"
    env_file.write_text(
        f"HOSTMASTER_DATABASE_URL={app.config['SQLALCHEMY_DATABASE_URI']}\n"
        f"AEGIR_ROOT={app.config['AEGIR_ROOT']}\nHOSTMASTER_SECRET_KEY=test-secret\n"
        f"HOSTMASTER_SECRET_KEY_FILE={app.config['SECRETS_KEY_FILE']}\n"
        # This store and root are root's (in production the line is the aegir user's).
        "HOSTMASTER_ALLOW_ROOT=1\n"
    )
    log_file = tmp_path / "dispatch.log"
    line = crontab.dispatch_line(env_file, log_file)
    command = line.removeprefix("* * * * * ").removesuffix(crontab.MARKER)
    clean_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # cron's bare environment
    subprocess.run(["/bin/sh", "-c", command], env=clean_env, check=True, timeout=120)
    with app.app_context():
        assert status_counts() == {TaskStatus.SUCCESS: 1}


@pytest.fixture
def throwaway_user() -> Iterator[str]:
    """A system user made for this test (so root's real crontab is never touched)."""
    if os.geteuid() != 0 or shutil.which("crontab") is None or shutil.which("useradd") is None:
        pytest.skip("needs root and the crontab and useradd commands")
    name = f"hmcron{secrets.token_hex(3)}"
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        check=True,
    )
    try:
        yield name
    finally:
        subprocess.run(["crontab", "-u", name, "-r"], capture_output=True, check=False)
        subprocess.run(["userdel", name], check=True)


def test_cron_install_and_remove_edit_a_users_crontab_with_the_real_crontab_command(
    runner: Any, throwaway_user: str
) -> None:
    subprocess.run(["crontab", "-u", throwaway_user, "-"], input=OTHER_LINES, text=True, check=True)
    for _ in range(2):
        result = runner.invoke(args=["cron", "install", "--user", throwaway_user])
        assert result.exit_code == 0, result.output

    def listed() -> str:
        return subprocess.run(
            ["crontab", "-u", throwaway_user, "-l"], capture_output=True, text=True, check=False
        ).stdout

    assert len(_dispatch_lines(listed())) == 1
    assert "backup-everything" in listed()
    assert pwd.getpwnam(throwaway_user)  # the user exists, so -u really targeted it
    result = runner.invoke(args=["cron", "remove", "--user", throwaway_user])
    assert result.exit_code == 0, result.output
    assert _dispatch_lines(listed()) == []
    assert "backup-everything" in listed() and "MAILTO=ops@example.com" in listed()


# -- pause and resume --------------------------------------------------------------------------


def test_a_paused_dispatcher_claims_nothing_and_says_so_until_resumed(
    app: Flask, runner: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with app.app_context():
        null_server()
    result = runner.invoke(args=["pause", "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert "Dispatch is paused" in result.output and "No task is running" in result.output
    with caplog.at_level(logging.WARNING, logger="hostmaster.dispatcher.loop"):
        assert dispatch_once(app) == 0
    assert "dispatch is paused" in caplog.text
    with app.app_context():
        assert status_counts() == {TaskStatus.QUEUED: 1}
    result = runner.invoke(args=["resume"])
    assert result.exit_code == 0 and "Dispatch resumed" in result.output
    dispatch_once(app)
    with app.app_context():
        assert status_counts() == {TaskStatus.SUCCESS: 1}
    assert "was not paused" in runner.invoke(args=["resume"]).output


def _dispatcher_env(app: Flask) -> dict[str, str]:
    return {
        **os.environ,
        "HOSTMASTER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HOSTMASTER_SECRET_KEY": "test-secret",
        "HOSTMASTER_SECRET_KEY_FILE": app.config["SECRETS_KEY_FILE"],
        "AEGIR_ROOT": app.config["AEGIR_ROOT"],
    }


def _wait_for(app: Flask, task_id: int, status: TaskStatus, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    with app.app_context():
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get_one(Task, task_id).status == status:
                return
            time.sleep(0.1)
    pytest.fail(f"task {task_id} never became {status.name}")


def _wait_until_claimed(app: Flask, task_id: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    with app.app_context():
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get_one(Task, task_id).status != TaskStatus.QUEUED:
                return
            time.sleep(0.05)
    pytest.fail(f"task {task_id} was never claimed")


def test_pause_waits_for_the_running_task_and_later_tasks_stay_queued(
    app: Flask, runner: Any
) -> None:
    with app.app_context():
        server = null_server()
        dispatch_once(app)
        running_id = queue_noop(server, seconds=2).id
        other = null_server("other.example.com")
        waiting_id = db.session.scalars(select(Task.id).where(Task.entity_id == other.id)).one()
    cron_pass = subprocess.Popen(
        [sys.executable, str(project_root() / "dispatch.py")], env=_dispatcher_env(app)
    )
    try:
        _wait_for(app, running_id, TaskStatus.PROCESSING)
        # the pass claims the other task too (its verify may be done already); then a third
        # task arrives after the pause
        _wait_until_claimed(app, waiting_id)
        result = runner.invoke(args=["pause", "--timeout", "60"])
        assert result.exit_code == 0, result.output
        assert "Waiting for" in result.output and f"#{running_id} noop" in result.output
        assert "No task is running" in result.output
        with app.app_context():
            assert db.session.get_one(Task, running_id).status == TaskStatus.SUCCESS
            late = queue_noop(other).id
    finally:
        assert cron_pass.wait(timeout=60) == 0
    dispatch_once(app)
    with app.app_context():
        assert db.session.get_one(Task, late).status == TaskStatus.QUEUED
        assert db.session.get_one(Task, waiting_id).status.finished


def test_pause_gives_up_after_its_timeout_but_stays_paused(app: Flask, runner: Any) -> None:
    with app.app_context():
        server = null_server()
        dispatch_once(app)
        task_id = queue_noop(server).id
        claim.claim(1, f"{socket.gethostname()}:{os.getpid()}:test", 30)  # "running" here
    result = runner.invoke(args=["pause", "--timeout", "0.5"])
    assert result.exit_code != 0
    assert f"#{task_id} noop" in result.output
    assert "still running after 0.5 s; dispatch stays paused" in result.output
    with app.app_context():
        assert dispatch_control.state().paused


# -- the concurrency setting -------------------------------------------------------------------


def test_the_concurrency_setting_caps_a_pass_and_overrides_the_environment(
    app: Flask, runner: Any
) -> None:
    app.config["DISPATCH_CONCURRENCY"] = 4
    with app.app_context():
        for n in range(3):
            null_server(f"s{n}.example.com")
    assert "At most 4 task(s)" in runner.invoke(args=["concurrency"]).output
    result = runner.invoke(args=["concurrency", "1"])
    assert result.exit_code == 0 and "At most 1 task(s)" in result.output
    dispatch_once(app)
    with app.app_context():
        assert status_counts() == {TaskStatus.SUCCESS: 1, TaskStatus.QUEUED: 2}
    runner.invoke(args=["concurrency", "--reset"])
    dispatch_once(app)
    with app.app_context():
        assert status_counts() == {TaskStatus.SUCCESS: 3}


def test_a_bad_concurrency_is_refused_and_changes_nothing(app: Flask, runner: Any) -> None:
    runner.invoke(args=["concurrency", "3"])
    for bad in ("0", "65", "-2"):
        result = runner.invoke(args=["concurrency", "--", bad])
        assert result.exit_code != 0
        assert "whole number from 1 to 64" in result.output
    with app.app_context():
        assert dispatch_control.state().concurrency == 3


def test_the_cap_counts_tasks_running_under_other_dispatchers(app: Flask) -> None:
    with app.app_context():
        servers = [null_server(f"s{n}.example.com") for n in range(3)]
        dispatch_control.set_concurrency(1)
        assert claim.claim(1, "elsewhere:1:a", 30) != []  # another dispatcher runs one task
        # a claim that would exceed the cap is handed back, leaving the task as it was
        assert claim.claim(2, "here:2:b", 30, cap=1) == []
        assert status_counts() == {TaskStatus.PROCESSING: 1, TaskStatus.QUEUED: 2}
        handed_back = db.session.scalars(select(Task).where(Task.status == TaskStatus.QUEUED)).all()
        assert all(t.running_key is None and t.dispatcher == "" for t in handed_back)
        assert len(servers) == 3


def test_two_dispatchers_never_run_two_tasks_on_one_entity(app: Flask) -> None:
    with app.app_context():
        server = null_server()
        dispatch_once(app)
        queue_noop(server)
        queue_noop(server)
        first = claim.claim(5, "one:1:a", 30)
        second = claim.claim(5, "two:2:b", 30)
        assert len(first) == 1 and second == []
        # even a claim aimed straight at the entity's other task is refused by the store
        other = db.session.scalars(select(Task).where(Task.status == TaskStatus.QUEUED)).one()
        with pytest.raises(IntegrityError):
            db.session.execute(
                update(Task)
                .where(Task.id == other.id)
                .values(status=TaskStatus.PROCESSING, running_key=other.entity_key)
            )
            db.session.commit()
        db.session.rollback()


# -- the web interface ---------------------------------------------------------------------------


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


def test_the_sidebar_says_dispatch_paused_and_the_dispatcher_page_resumes_it(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    assert "Dispatch paused" not in text(client.get("/").get_data(as_text=True))
    response = logged_in.submit("/tasks/dispatch", {}, post_path="/tasks/dispatch/pause")
    assert response.status_code == 302
    page = text(client.get("/").get_data(as_text=True))
    assert "Dispatch paused since" in page
    response = logged_in.submit("/tasks/dispatch", {}, post_path="/tasks/dispatch/resume")
    assert "Dispatch paused" not in text(client.get("/").get_data(as_text=True))
    with app.app_context():
        assert not dispatch_control.state().paused


def test_the_dispatcher_page_sets_the_concurrency_and_retention_and_refuses_bad_values(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    response = logged_in.submit("/tasks/dispatch", {"concurrency": "2", "retention_days": "30"})
    assert response.status_code == 302
    page = text(client.get("/tasks/dispatch").get_data(as_text=True))
    assert "At most at once 2" in page and "Finished tasks kept 30 days" in page
    response = logged_in.submit("/tasks/dispatch", {"concurrency": "500", "retention_days": "-1"})
    assert response.status_code == 200
    markup = response.get_data(as_text=True)
    assert field_error(markup, "concurrency") == "Give a whole number from 1 to 64."
    assert field_error(markup, "retention_days") == "Give a whole number of days from 0 to 3650."
    with app.app_context():
        assert db.session.get_one(Setting, dispatch_control.CONCURRENCY).value == 2
        assert dispatch_control.retention_days() == 30


# -- Update status -------------------------------------------------------------------------------


def _finished_noop(app: Flask) -> int:
    with app.app_context():
        server = null_server()
        dispatch_once(app)
        task_id = queue_noop(server).id
        dispatch_once(app)
        assert db.session.get_one(Task, task_id).status == TaskStatus.SUCCESS
        return task_id


def test_update_status_sets_a_finished_tasks_status_from_its_log(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    task_id = _finished_noop(app)
    with app.app_context():
        tasks.add_log(db.session.get_one(Task, task_id), "warning", "A late warning.")
        db.session.commit()
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'action="/tasks/{task_id}/update-status"' in page
    response = logged_in.submit(f"/tasks/{task_id}", {}, f"/tasks/{task_id}/update-status")
    assert response.status_code == 302
    shown = text(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    assert "is now Warning, as its log says" in shown
    with app.app_context():
        assert db.session.get_one(Task, task_id).status == TaskStatus.WARNING
        assert "Status updated from the log by admin: Success → Warning." in log_text(task_id)


def test_update_status_ends_a_task_whose_dispatcher_died(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    with app.app_context():
        server = null_server()
        server_id = server.id
        dispatch_once(app)
        task_id = queue_noop(server).id
        # a dispatcher on this host whose process is gone (pid far above pid_max)
        claim.claim(1, f"{socket.gethostname()}:99999999:dead", 30)
        tasks.add_log(db.session.get_one(Task, task_id), "error", "provision was killed.")
        db.session.commit()
    logged_in.submit(f"/tasks/{task_id}", {}, f"/tasks/{task_id}/update-status")
    with app.app_context():
        task = db.session.get_one(Task, task_id)
        assert task.status == TaskStatus.ERROR
        assert task.running_key is None and task.finished_at is not None
        # the server is free again: its next task can be claimed
        queue_noop(db.session.get_one(Server, server_id))
        dispatch_once(app)
        assert status_counts()[TaskStatus.SUCCESS] == 2


def test_update_status_refuses_a_running_or_queued_task_and_changes_nothing(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    with app.app_context():
        server = null_server()
        dispatch_once(app)
        running_id = queue_noop(server).id
        claim.claim(1, f"{socket.gethostname()}:{os.getpid()}:alive", 30)
        queued_id = queue_noop(null_server("two.example.com")).id
    for task_id, sentence in (
        (running_id, "This task is still running"),
        (queued_id, "A queued task has not run yet"),
    ):
        page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
        assert "update-status" not in page
        response = logged_in.submit(f"/tasks/{task_id}", {}, f"/tasks/{task_id}/update-status")
        assert sentence in text(client.get(response.location).get_data(as_text=True))
    with app.app_context():
        assert db.session.get_one(Task, running_id).status == TaskStatus.PROCESSING
        assert db.session.get_one(Task, queued_id).status == TaskStatus.QUEUED


def test_an_expired_lease_alone_makes_a_task_updatable(app: Flask) -> None:
    from hostmaster.services import task_status

    with app.app_context():
        server = null_server()
        dispatch_once(app)
        task_id = queue_noop(server).id
        claim.claim(1, "another-host:1:x", 30)
        task = db.session.get_one(Task, task_id)
        assert task_status.why_not_updatable(task) is not None  # live lease, unknown host
        task.lease_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert task_status.update_status(task) == TaskStatus.SUCCESS


def test_cancel_refuses_a_task_a_dispatcher_claimed_after_the_page_was_read(app: Flask) -> None:
    with app.app_context():
        null_server()
        task = db.session.scalars(select(Task)).one()  # read as QUEUED by the page
        with db.engine.begin() as dispatcher:  # another process claims it meanwhile
            dispatcher.execute(
                update(Task)
                .where(Task.id == task.id)
                .values(status=TaskStatus.PROCESSING, running_key=task.entity_key)
            )
        assert task.status == TaskStatus.QUEUED  # what this request still believes
        with pytest.raises(TaskNotAvailable, match="Only a queued task can be cancelled"):
            tasks.cancel(task)
        db.session.expire_all()
        assert db.session.get_one(Task, task.id).status == TaskStatus.PROCESSING
        assert "Task was cancelled" not in log_text(task.id)
