"""The dispatcher: one pass for cron, or a daemon that keeps the task queue moving.

Each claimed task runs in a thread of its own (provision is a subprocess, so the threads only
wait on pipes and the store); a heartbeat thread renews the leases of every running task.
Store hiccups are waited out (store_watch.py): the daemon logs one line when the store stops
answering, backs off (1 s doubling to 30 s) and logs one line when it answers again; a pass
for cron says so in one line and exits with status 1.
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
from ..queues.runner import run_due_queues
from ..services import dispatch_control
from ..store import limit_waits
from . import claim, provision_process, recovery, runner
from .heartbeat import RETRY_CAP_SECONDS, Heartbeat
from .store_watch import StoreWatch, forget_session, is_hiccup, keep_trying, reason

#: How often the daemon looks for due batch queues (a pass for cron looks every time).
QUEUE_CHECK_SECONDS = 10.0
#: After the store comes back, how long this dispatcher waits before it ends anyone's expired
#: task: long enough for every live dispatcher's heartbeat, which retries at least every
#: RETRY_CAP_SECONDS while the store is away, to renew its leases first.
SWEEP_GRACE_SECONDS = 2 * RETRY_CAP_SECONDS + 1

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
        #: Tasks that may be claimed by us without our knowing (a claim's answer was lost).
        self._to_release: set[int] = set()
        self.watch = StoreWatch(app.config["SQLALCHEMY_DATABASE_URI"])
        with app.app_context():
            limit_waits(db.engine, float(app.config["DISPATCH_STORE_TIMEOUT_SECONDS"]))
        self._heartbeat = Heartbeat(
            app, self.id, self.lease_seconds, self._running_ids, self.watch
        )
        self._heartbeat.start()

    # -- one pass ---------------------------------------------------------------------------
    def run_once(self) -> int:
        """End expired tasks, claim up to the free slots, run them all, wait; returns faults.

        When the store does not answer, the pass says so in one line and claims nothing
        more; tasks it already started still keep their results until the store has them.
        """
        self.recover_interrupted()
        try:
            self.claim_and_start()
        except Exception as error:
            if not is_hiccup(error):
                raise
            self._forget_session()
            log.error(
                "the store at %s does not answer: %s; this dispatch pass claims nothing and "
                "exits with status 1 (cron starts the next one)",
                self.watch.address,
                reason(error),
            )
            self.faults += 1
        else:
            self.run_queues()
        self.wait()
        self._release_uncertain_when_the_store_answers()
        return self.faults

    # -- daemon -----------------------------------------------------------------------------
    def run_forever(self) -> int:
        """Keep claiming while slots are free until SIGTERM/SIGINT; then let tasks finish."""
        self._install_signal_handlers()
        self.recover_interrupted()
        last_expiry_check = 0.0
        last_queue_check = 0.0
        queues: threading.Thread | None = None
        while not self.stopping.is_set():
            wait = self.poll_seconds
            started = time.monotonic()
            try:
                sweep = time.monotonic() - last_expiry_check > min(5.0, self.lease_seconds / 3)
                self.claim_and_start(sweep=sweep)
                if sweep:
                    last_expiry_check = time.monotonic()
                self.watch.answered()
                if time.monotonic() - last_queue_check > QUEUE_CHECK_SECONDS and not (
                    queues is not None and queues.is_alive()
                ):  # batch queues run beside the task queue, one pass at a time
                    queues = threading.Thread(target=self.run_queues, daemon=True)
                    queues.start()
                    last_queue_check = time.monotonic()
            except Exception as error:
                self._forget_session()
                if is_hiccup(error):  # one line per outage (the watch), then back off
                    self.watch.failed(error, started)
                    wait = self.watch.backoff.next()
                else:
                    log.exception("dispatch pass failed")
                    self.faults += 1
                    wait = 5.0
            self._changed.wait(wait)
            self._changed.clear()
        if queues is not None:
            queues.join()
        self.wait()
        self._release_uncertain_when_the_store_answers()
        return 0

    def recover_interrupted(self) -> None:
        """Finish the provision commands that dispatchers which died left half done (their
        tasks are ended, with how they ended, once their leases expire)."""
        config = self.app.config
        try:
            recovery.recover_all(provision_process.provision_argv(config["PROVISION_COMMAND"]),
                                 str(config["AEGIR_ROOT"]))
        except OSError as error:
            log.error("could not recover interrupted provision commands: %s", error)

    def _install_signal_handlers(self) -> None:
        def _stop(signum: int, _frame: Any) -> None:
            log.info("signal %s: finishing running tasks, claiming no more", signum)
            self.stopping.set()
            self._changed.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)

    # -- parts --------------------------------------------------------------------------------
    def claim_and_start(self, *, sweep: bool = True) -> None:
        """Hand back unsure claims, end expired tasks, claim and start; hiccups propagate."""
        if self._to_release:
            with self.app.app_context():
                self._release_uncertain()
        if sweep:
            self.end_expired()
        try:
            claimed = self.claim()
        except claim.ClaimInterrupted as interrupted:
            self.start_claimed(interrupted.claimed)
            self._to_release.update(interrupted.uncertain)
            raise interrupted.cause from None
        self.start_claimed(claimed)

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
        if self._paused_noted or not self.watch.answering:
            return  # dispatch is paused (as the last claim read), or the store is away
        started = time.monotonic()
        try:
            failed = run_due_queues(self.app)
        except Exception as error:
            if not is_hiccup(error):
                raise
            self.watch.failed(error, started)
            return
        for name in failed:
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
        """Finish as ERROR every task whose dispatcher stopped renewing its lease.

        Never this dispatcher's own live tasks, and not in the first seconds after the store
        came back, when live dispatchers are still renewing the leases the outage ran down.
        """
        if self.watch.answering_for() < SWEEP_GRACE_SECONDS:
            return
        with self.app.app_context():
            for task_id in claim.expired(exclude=set(self._running_ids())):
                if runner.end_expired(task_id):
                    log.warning("task %s: lease expired, ended it as an error", task_id)

    def _running_ids(self) -> list[int]:
        with self._lock:
            return list(self.running)

    def _release_uncertain(self) -> None:
        """Hand back the tasks whose claim may have landed unseen (needs an app context)."""
        for task_id in sorted(self._to_release):
            claim.release(task_id, self.id)
            self._to_release.discard(task_id)
            log.info("task %s: handed back to the queue (its claim's answer was lost)", task_id)

    def _release_uncertain_when_the_store_answers(self) -> None:
        """Before exiting: hand back unsure claims, however long the store takes."""
        if self._to_release:
            with self.app.app_context():
                keep_trying(self.watch, self._release_uncertain,
                            "the return of unsure claims to the queue")

    def _forget_session(self) -> None:
        with self.app.app_context():
            forget_session()

    def _run(self, task_id: int) -> None:
        try:
            with self.app.app_context():
                runner.run_task(task_id, self.id, self.watch)
        except Exception as exc:
            log.exception("task %s: internal fault in the dispatcher", task_id)
            self.faults += 1
            self._fail_after_fault(task_id, exc)
        finally:
            with self._lock:
                self.running.pop(task_id, None)
            self._changed.set()

    def _fail_after_fault(self, task_id: int, exc: Exception) -> None:
        """Do not leave a task PROCESSING because the dispatcher tripped (waits out hiccups)."""
        message = (
            f"The dispatcher failed while running this task ({type(exc).__name__}: {exc}); "
            "see the dispatcher's own log."
        )
        try:
            with self.app.app_context():
                keep_trying(
                    self.watch,
                    lambda: runner.end_with_error(task_id, self.id, message),
                    f"the failure of task {task_id}",
                )
        except Exception:
            log.exception("task %s: could not be ended; its lease will expire", task_id)
