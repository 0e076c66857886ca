"""The dispatcher: claims, leases, logs, final status, result handlers, on both stores."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from hostmaster.dispatcher import claim, dispatch_once
from hostmaster.dispatcher import runner as task_runner
from hostmaster.dispatcher.runner import status_from_log
from hostmaster.extensions import db
from hostmaster.models import Server, ServerStatus, Task, TaskStatus
from tests.hostmaster.helpers import log_text, null_server, project_root, queue_noop, status_counts


@pytest.mark.parametrize(
    ("levels", "status"),
    [
        (set(), TaskStatus.SUCCESS),
        ({"info", "ok", "success", "notice"}, TaskStatus.SUCCESS),
        ({"info", "warning"}, TaskStatus.WARNING),
        ({"warning", "error"}, TaskStatus.ERROR),
        ({"failed"}, TaskStatus.ERROR),
    ],
)
def test_the_final_status_follows_the_worst_log_level(levels: set[str], status: TaskStatus) -> None:
    assert status_from_log(levels) == status


def test_a_new_server_is_verified_by_one_dispatch_pass(app: Flask) -> None:
    with app.app_context():
        server = null_server()
        server_id = server.id
        assert dispatch_once(app) == 0
        db.session.expire_all()
        server = db.session.get(Server, server_id)
        assert server is not None and server.status == ServerStatus.ENABLED
        task = db.session.scalars(select(Task)).one()
        assert task.status == TaskStatus.SUCCESS and task.finished_at is not None
        assert task.running_key is None and task.lease_expires_at is None
        assert log_text(task.id)  # provision's log lines were stored


def test_one_pass_runs_only_one_task_per_entity(app: Flask) -> None:
    with app.app_context():
        server = null_server()
        queue_noop(server)
        queue_noop(server)
        dispatch_once(app)
        counts = status_counts()
        # verify ran first; the two no-ops wait for later passes, one at a time
        assert counts == {TaskStatus.SUCCESS: 1, TaskStatus.QUEUED: 2}
        dispatch_once(app)
        assert status_counts() == {TaskStatus.SUCCESS: 2, TaskStatus.QUEUED: 1}


def test_a_task_longer_than_its_lease_keeps_it_by_renewal(app: Flask) -> None:
    """Another dispatcher sweeps expired leases all the while: without renewal, the one-second
    lease of this three-second task would run out and that sweep would end it."""
    app.config["DISPATCH_LEASE_SECONDS"] = 1.0
    with app.app_context():
        server = null_server()
        dispatch_once(app)
        task_id = queue_noop(server, seconds=3).id
    running = threading.Thread(target=dispatch_once, args=(app,))
    running.start()
    swept = 0
    while running.is_alive():
        with app.app_context():  # what any other dispatcher's expiry sweep does
            for expired in claim.expired(exclude=set()):
                task_runner.end_expired(expired)
            db.session.remove()
        swept += 1
        time.sleep(0.1)
    running.join()
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task is not None and task.status == TaskStatus.SUCCESS, log_text(task_id)
        assert "stopped renewing" not in log_text(task_id)
    assert swept >= 20, "the sweeps ran while the task did"


def test_a_task_that_runs_too_long_is_stopped_and_fails(app: Flask) -> None:
    app.config["TASK_TIMEOUT_SECONDS"] = 1.0
    with app.app_context():
        server = null_server()
        dispatch_once(app)
        task_id = queue_noop(server, seconds=30).id
        started = time.monotonic()
        dispatch_once(app)
        assert time.monotonic() - started < 10
        task = db.session.get(Task, task_id)
        assert task is not None and task.status == TaskStatus.ERROR
        assert "ran longer than 1 seconds and was stopped" in log_text(task_id)


def test_a_provision_that_cannot_start_fails_the_task_with_a_reason(app: Flask) -> None:
    app.config["PROVISION_COMMAND"] = "/nonexistent/provision"
    with app.app_context():
        server_id = null_server().id
        assert dispatch_once(app) == 0
        task = db.session.scalars(select(Task)).one()
        assert task.status == TaskStatus.ERROR
        assert "provision could not be started" in log_text(task.id)
        server = db.session.get(Server, server_id)
        assert server is not None and server.status == ServerStatus.QUEUED


def _dispatcher_env(app: Flask, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HOSTMASTER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HOSTMASTER_SECRET_KEY": "test-secret",
        "HOSTMASTER_SECRET_KEY_FILE": app.config["SECRETS_KEY_FILE"],
        "AEGIR_ROOT": app.config["AEGIR_ROOT"],
        **extra,
    }


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task_dir in Path(f"/proc/{pid}/task").glob("*"):
        text = (task_dir / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


def test_a_killed_dispatchers_task_ends_as_error_once_its_lease_expires(app: Flask) -> None:
    with app.app_context():
        server = null_server()
        dispatch_once(app)
        task_id = queue_noop(server, seconds=60).id
    dispatcher = subprocess.Popen(
        [sys.executable, str(project_root() / "dispatch.py")],
        env=_dispatcher_env(app, HOSTMASTER_LEASE_SECONDS="1"),
    )
    orphans: list[int] = []
    try:
        deadline = time.monotonic() + 20
        with app.app_context():
            while time.monotonic() < deadline:
                db.session.expire_all()
                task = db.session.get(Task, task_id)
                assert task is not None
                if task.status == TaskStatus.PROCESSING and _children(dispatcher.pid):
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the dispatcher never started the task")
        orphans = _children(dispatcher.pid)
        dispatcher.send_signal(signal.SIGKILL)
        dispatcher.wait()
        time.sleep(1.5)  # the lease (1 s) runs out
        with app.app_context():
            db.session.expire_all()
            task = db.session.get(Task, task_id)
            assert task is not None and task.status == TaskStatus.PROCESSING
            dispatch_once(app)
            db.session.expire_all()
            task = db.session.get(Task, task_id)
            assert task is not None and task.status == TaskStatus.ERROR
            assert task.running_key is None
            assert "stopped renewing its lease" in log_text(task_id)
    finally:
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.slow
def test_two_dispatchers_run_each_of_100_tasks_exactly_once(app: Flask) -> None:
    # Each task is a provision process (~0.2 s of CPU): 100 keep both daemons claiming side
    # by side, four at a time each, for several seconds.
    with app.app_context():
        servers = [null_server(f"s{n}.example.com") for n in range(20)]
        for _ in range(4):
            for server in servers:
                queue_noop(server)
        total = 100  # 20 verifies + 80 no-ops
    env = _dispatcher_env(app, HOSTMASTER_POLL_SECONDS="0.05", HOSTMASTER_DISPATCH_CONCURRENCY="4")
    daemons = [
        subprocess.Popen(
            [str(Path(sys.executable).with_name("hostmaster")), "dispatch", "--daemon"], env=env
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 240
        with app.app_context():
            while time.monotonic() < deadline:
                db.session.expire_all()
                counts = status_counts()
                if counts.get(TaskStatus.SUCCESS, 0) + counts.get(TaskStatus.ERROR, 0) >= total:
                    break
                time.sleep(0.5)
    finally:
        for daemon in daemons:
            daemon.send_signal(signal.SIGTERM)
        for daemon in daemons:
            daemon.wait(timeout=60)
    with app.app_context():
        db.session.expire_all()
        tasks = list(db.session.scalars(select(Task)))
        assert len(tasks) == total
        failed = {t.id: log_text(t.id) for t in tasks if t.status != TaskStatus.SUCCESS}
        assert not failed, (status_counts(), failed)
        # exactly once: each no-op's log holds the line of exactly one provision run
        for task in tasks:
            if task.type == "noop":
                assert log_text(task.id).count("No-op started") == 1, log_text(task.id)
        # both dispatchers took part, and no entity ever ran two tasks at once
        assert len({t.dispatcher.rsplit(":", 1)[0] for t in tasks}) == 2
        by_entity: dict[str, list[Task]] = {}
        for task in tasks:
            by_entity.setdefault(task.entity_key, []).append(task)
        for runs in by_entity.values():
            runs.sort(key=lambda t: t.started_at)  # type: ignore[arg-type, return-value]
            for before, after in zip(runs, runs[1:], strict=False):
                assert before.finished_at <= after.started_at  # type: ignore[operator]
