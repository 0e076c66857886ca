"""Running the due batch queues: once per dispatch pass, each queue on its own.

A queue whose run raises is logged (in the dispatcher's log and in the queue's details, shown
on the Queues page) and the next queue still runs.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from flask import Flask

from ..extensions import db
from ..models import utcnow
from . import Batch, BatchQueue, all_queues
from .schedule import is_due
from .state import claim_run, plan_of, record_run, state_of

log = logging.getLogger(__name__)


def queues_enabled(app: Flask) -> bool:
    """Whether this app's dispatcher runs the batch queues (``DISPATCH_QUEUES``; off by default
    in tests, whose sites must not be backed up behind their back)."""
    return bool(app.config.get("DISPATCH_QUEUES", not app.testing))


def run_due_queues(app: Flask, now: datetime | None = None) -> list[str]:
    """Run every enabled queue that is due at ``now``; returns the names of the runs that failed.

    A store hiccup (the store does not answer) stops the pass and is raised: the dispatcher
    says so once, instead of a traceback per queue.
    """
    from ..dispatcher.store_watch import is_hiccup

    failed: list[str] = []
    if not queues_enabled(app):
        return failed
    for queue in all_queues():
        with app.app_context():
            try:
                run_if_due(app, queue, now or utcnow())
            except Exception as exc:
                if is_hiccup(exc):
                    raise
                log.exception("queue %s: the run failed", queue.name)
                failed.append(queue.name)
                try:
                    record_run(
                        queue.name,
                        last_error=f"{type(exc).__name__}: {exc}",
                        last_error_at=(now or utcnow()).isoformat(timespec="seconds"),
                    )
                except Exception:
                    log.exception("queue %s: its failure could not be recorded", queue.name)
            finally:
                db.session.remove()
    return failed


def run_if_due(app: Flask, queue: BatchQueue, now: datetime) -> bool:
    """Run one batch of ``queue`` if it is enabled and due; True when it ran."""
    from ..services import features

    state = state_of(queue)
    if not state.enabled or not features.queue_enabled(queue.name):
        return False  # switched off on the Queues page, or its feature is off
    total = queue.total()
    plan = plan_of(queue, state, total)
    if not is_due(state.last_run_at, plan.frequency, now):
        return False
    frequency = state.frequency
    if not claim_run(state, now):
        return False  # another dispatcher took this run
    started = time.monotonic()
    summary = queue.run(Batch(app=app, now=now, items=plan.items, frequency=frequency))
    record_run(
        queue.name,
        last_result=summary,
        last_duration=round(time.monotonic() - started, 3),
        last_error=None,
    )
    log.info("queue %s: %s", queue.name, summary)
    return True
