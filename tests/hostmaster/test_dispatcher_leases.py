"""Who may end a task whose lease ran out, on both stores: never the dispatcher that still runs
it, nobody in the first seconds after the store came back, and nobody once its holder has
renewed it (the lease is read again under a row lock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from hostmaster.dispatcher import Dispatcher, claim, dispatch_once, loop, runner
from hostmaster.extensions import db
from hostmaster.models import Task, TaskStatus, utcnow
from tests.hostmaster.helpers import log_text, null_server, queue_noop

LOST = OperationalError("SELECT 1", {}, Exception(2013, "Lost connection to MySQL server"))


@pytest.fixture
def claimed_task(app: Flask) -> Iterator[tuple[Dispatcher, int]]:
    """A no-op claimed by a dispatcher (not started), its lease already run out in the store."""
    with app.app_context():
        server = null_server()
        dispatch_once(app)
        task_id = queue_noop(server).id
    dispatcher = Dispatcher(app)
    assert dispatcher.claim() == [task_id]
    with app.app_context():
        db.session.execute(update(Task).where(Task.id == task_id).values(
            lease_expires_at=utcnow() - timedelta(seconds=5)))
        db.session.commit()
    yield dispatcher, task_id
    with app.app_context():
        claim.release(task_id, dispatcher.id)


def status(task_id: int) -> TaskStatus:
    db.session.expire_all()
    return db.session.get_one(Task, task_id).status


def test_a_dispatcher_never_ends_its_own_running_task_as_expired(
    app: Flask, claimed_task: tuple[Dispatcher, int]
) -> None:
    dispatcher, task_id = claimed_task
    alive = threading.Event()
    runner_thread = threading.Thread(target=alive.wait)  # stands for the task's own thread
    dispatcher.running[task_id] = runner_thread
    runner_thread.start()
    try:
        dispatcher.end_expired()
        with app.app_context():
            assert status(task_id) == TaskStatus.PROCESSING
    finally:
        alive.set()
        runner_thread.join()
        dispatcher.running.clear()
    # the same task, no longer run by that dispatcher: another pass ends it
    dispatch_once(app)
    with app.app_context():
        assert status(task_id) == TaskStatus.ERROR
        assert "stopped renewing its lease" in log_text(task_id)


def test_no_expired_task_is_ended_in_the_first_seconds_after_the_store_came_back(
    app: Flask, claimed_task: tuple[Dispatcher, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _holder, task_id = claimed_task
    monkeypatch.setattr(loop, "SWEEP_GRACE_SECONDS", 1.0)
    sweeper = Dispatcher(app)
    sweeper.watch.failed(LOST)
    sweeper.watch.answered()
    sweeper.end_expired()  # within the grace: its holder may still be renewing
    with app.app_context():
        assert status(task_id) == TaskStatus.PROCESSING
    time.sleep(1.1)
    sweeper.end_expired()
    with app.app_context():
        assert status(task_id) == TaskStatus.ERROR
        assert "stopped renewing its lease" in log_text(task_id)


def test_a_lease_renewed_after_the_sweep_listed_it_keeps_its_task(
    app: Flask, claimed_task: tuple[Dispatcher, int]
) -> None:
    holder, task_id = claimed_task
    with app.app_context():
        assert task_id in claim.expired()
        claim.renew([task_id], holder.id, 30)  # the holder's heartbeat, a moment later
        assert runner.end_expired(task_id) is False
        assert status(task_id) == TaskStatus.PROCESSING
        assert "stopped renewing" not in log_text(task_id)

