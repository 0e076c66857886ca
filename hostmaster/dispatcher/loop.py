"""The dispatcher: one pass for cron, or a daemon that keeps the task queue moving.

Each claimed task runs in a thread of its own (provision is a subprocess, so the threads only
wait on pipes and the store); a heartbeat thread renews the leases of every running task.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from typing import Any

from flask import Flask

from ..extensions import db
from ..models import Task
from ..queues.runner import run_due_queues
from ..services import dispatch_control
from ..services.tasks import add_log
from . import claim, runner

#: How often the daemon looks for due batch queues (a pass for cron looks every time).
QUEUE_CHECK_SECONDS = 10.0

log = logging.getLogger(__name__)


class Dispatcher:
    """Claims and runs tasks for one process; safe beside other dispatchers on one store."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.concurrency = int(app.config["DISPATCH_CONCURRENCY"])
        self.lease_seconds = float(app.config["DISPATCH_LEASE_SECONDS"])
        self.poll_seconds = float(app.config["DISPATCH_POLL_SECONDS"])
        self.running: dict[int, threading.Thread] = {}
        self.faults = 0
        self._paused_noted = False
        self.stopping = threading.Event()
        self._changed = threading.Event()
        self._lock = threading.Lock()
        self._heartbeat = threading.Thread(target=self._renew_forever, daemon=True)
        self._heartbeat.start()

    # -- one pass ---------------------------------------------------------------------------
    def run_once(self) -> int:
        """End expired tasks, claim up to the free slots, run them all, wait; returns faults."""
        self.end_expired()
        self.start_claimed(self.claim())
        self.run_queues()
        self.wait()
        return self.faults

    # -- daemon -----------------------------------------------------------------------------
    def run_forever(self) -> int:
        """Keep claiming while slots are free until SIGTERM/SIGINT; then let tasks finish."""
        self._install_signal_handlers()
        last_expiry_check = 0.0
        last_queue_check = 0.0
        queues: threading.Thread | None = None
        while not self.stopping.is_set():
            try:
                if time.monotonic() - last_expiry_check > min(5.0, self.lease_seconds / 3):
                    self.end_expired()
                    last_expiry_check = time.monotonic()
                self.start_claimed(self.claim())
                if time.monotonic() - last_queue_check > QUEUE_CHECK_SECONDS and not (
                    queues is not None and queues.is_alive()
                ):  # batch queues run beside the task queue, one pass at a time
                    queues = threading.Thread(target=self.run_queues, daemon=True)
                    queues.start()
                    last_queue_check = time.monotonic()
            except Exception:  # the store may be restarting: log, wait, try again
                log.exception("dispatch pass failed")
                self.faults += 1
                with self.app.app_context():
                    db.session.remove()
                self.stopping.wait(5)
            self._changed.wait(self.poll_seconds)
            self._changed.clear()
        if queues is not None:
            queues.join()
        self.wait()
        return 0

    def _install_signal_handlers(self) -> None:
        def _stop(signum: int, _frame: Any) -> None:
            log.info("signal %s: finishing running tasks, claiming no more", signum)
            self.stopping.set()
            self._changed.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)

    # -- parts --------------------------------------------------------------------------------
    def claim(self) -> list[int]:
        """Claim as many tasks as the global cap allows; none while dispatch is paused.

        The cap and the pause flag are settings in the store, read on every pass, so an
        admin's change reaches every dispatcher at once.
        """
        with self.app.app_context():
            state = dispatch_control.state()
            self._note_pause(state.paused)
            if state.paused:
                return []
            self.concurrency = state.concurrency
            with self._lock:
                mine = len(self.running)
            free = min(self.concurrency - mine, self.concurrency - claim.running_count())
            return claim.claim(free, self.id, self.lease_seconds, cap=self.concurrency)

    def _note_pause(self, paused: bool) -> None:
        """Say in the dispatcher's log when dispatch is paused (once per change, for a daemon)."""
        if paused and not self._paused_noted:
            log.warning("dispatch is paused: no task is claimed until `hostmaster resume`")
        elif not paused and self._paused_noted:
            log.info("dispatch resumed: claiming tasks again")
        self._paused_noted = paused

    def run_queues(self) -> None:
        """Run the due batch queues (hostmaster/queues); a failed queue is logged, not raised."""
        if self._paused_noted:  # dispatch is paused (as the last claim read): no queue either
            return
        for name in run_due_queues(self.app):
            log.warning("queue %s failed; its last error is on the Queues page", name)

    def start_claimed(self, task_ids: list[int]) -> None:
        """Start a thread for each claimed task."""
        for task_id in task_ids:
            thread = threading.Thread(target=self._run, args=(task_id,), daemon=False)
            with self._lock:
                self.running[task_id] = thread
            thread.start()

    def wait(self) -> None:
        """Wait until every task this dispatcher started has finished."""
        while True:
            with self._lock:
                threads = list(self.running.values())
            if not threads:
                return
            for thread in threads:
                thread.join()

    def end_expired(self) -> None:
        """Finish as ERROR every task whose dispatcher stopped renewing its lease."""
        with self.app.app_context():
            for task_id in claim.expired():
                log.warning("task %s: lease expired, ending it as an error", task_id)
                runner.end_expired(task_id)

    def _run(self, task_id: int) -> None:
        try:
            with self.app.app_context():
                runner.run_task(task_id, self.id)
        except Exception as exc:
            log.exception("task %s: internal fault in the dispatcher", task_id)
            self.faults += 1
            self._fail_after_fault(task_id, exc)
        finally:
            with self._lock:
                self.running.pop(task_id, None)
            self._changed.set()

    def _fail_after_fault(self, task_id: int, exc: Exception) -> None:
        """Best effort: do not leave a task PROCESSING because the dispatcher tripped."""
        try:
            with self.app.app_context():
                db.session.rollback()
                task = db.session.get(Task, task_id)
                if task is not None:
                    add_log(
                        task,
                        "error",
                        f"The dispatcher failed while running this task "
                        f"({type(exc).__name__}: {exc}); see the dispatcher's own log.",
                    )
                    db.session.commit()
                runner.finish(task_id, self.id, None)
        except Exception:
            log.exception("task %s: could not be ended; its lease will expire", task_id)

    def _renew_forever(self) -> None:
        interval = max(0.2, self.lease_seconds / 3)
        while True:
            time.sleep(interval)
            with self._lock:
                task_ids = list(self.running)
            if not task_ids:
                continue
            try:
                with self.app.app_context():
                    claim.renew(task_ids, self.id, self.lease_seconds)
            except Exception:
                log.exception("renewing leases failed")
