"""What the site queues share: picking a batch of due sites and running provision on one.

A batch is claimed before any work starts (its sites' timestamps move to the time of the
pass in one UPDATE), so a second dispatcher, or the next pass while this batch still runs,
picks other sites: each site is worked on once per frequency.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import exists, func, select
from sqlalchemy.sql.elements import ColumnElement

from ..dispatcher import provision_process
from ..extensions import db
from ..models import Site, SiteStatus, Task, TaskStatus
from ..services import contexts
from ..store_secrets import SecretsUnreadable

log = logging.getLogger(__name__)


class SiteWorkFailed(Exception):
    """provision failed on one site; the message says why (its last error lines)."""


@dataclass
class BatchReport:
    """How one batch went: sites done, and a sentence for each site that failed."""

    done: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self, verb: str) -> str:
        """"Ran cron on 3 sites; 1 failed: a.example.com: ..." for the Queues page."""
        text = f"{verb} {self.done} site{'' if self.done == 1 else 's'}"
        if self.failures:
            text += f"; {len(self.failures)} failed: " + " | ".join(self.failures[:3])
        return text + "."


def enabled_sites_count() -> int:
    """How many sites are enabled (the items of every site queue)."""
    return db.session.scalar(select(func.count(Site.id)).where(
        Site.status == SiteStatus.ENABLED)) or 0


def not_busy() -> ColumnElement[bool]:
    """Sites that have no task running now (a queue never works beside a task)."""
    return ~exists().where(
        Task.entity_kind == "site",
        Task.entity_id == Site.id,
        Task.status == TaskStatus.PROCESSING,
    )


def due_before(now: datetime, frequency: int) -> datetime:
    """Items last done before this time are due."""
    return now - timedelta(seconds=frequency)


def run_provision(app: Flask, site: Site, command: str,
                  options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``provision --backend @site COMMAND`` exactly as the dispatcher runs a task's
    command (same contexts, JSON on stdin); returns the result object.

    Raises SiteWorkFailed with provision's error lines when it fails.
    """
    payload = {"contexts": contexts.contexts_for(site), "options": options or {}}
    argv = [
        *provision_process.provision_argv(app.config["PROVISION_COMMAND"]),
        "--root",
        app.config["AEGIR_ROOT"],
        "--backend",
        contexts.name_of(site),
        command,
    ]
    db.session.commit()  # no transaction stays open while provision works
    errors: list[str] = []

    def keep(level: str, message: str, _time: float | None) -> None:
        if level in ("error", "failed", "critical"):
            errors.append(message)
        log.debug("%s %s: [%s] %s", command, site.uri, level, message)

    try:
        outcome = provision_process.run(argv, payload, keep, app.config["TASK_TIMEOUT_SECONDS"])
    except OSError as exc:
        raise SiteWorkFailed(f"provision could not be started: {exc.strerror or exc}") from None
    result = outcome.result or {}
    if outcome.timed_out or outcome.exit_status != 0 or result.get("error_status") or not result:
        reason = " ".join(errors[-2:]) or " ".join(outcome.stderr[-2:])[-300:]
        raise SiteWorkFailed(reason or f"provision exited with status {outcome.exit_status}")
    obj = result.get("object")
    return obj if isinstance(obj, dict) else {}


def work_on_each(
    site_ids: list[int], work: Callable[[Site], None], report: BatchReport
) -> BatchReport:
    """Call ``work`` on each site (committing after each); a failure is noted, not raised."""
    for site_id in site_ids:
        site = db.session.get(Site, site_id)
        if site is None:
            continue
        uri = site.uri
        try:
            work(site)
            db.session.commit()
            report.done += 1
        except (SiteWorkFailed, SecretsUnreadable) as exc:  # the key file says what to do
            db.session.rollback()
            log.warning("queue work on %s failed: %s", uri, exc)
            report.failures.append(f"{uri}: {exc}")
    return report
