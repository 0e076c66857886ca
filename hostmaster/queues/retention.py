"""Retention of scheduled backups: keep the last N, plus the newest backup of each of the
last D days, W weeks (ISO weeks) and M months that have one; delete the rest, archive and
record together, in the pass that made the new backup.

The policy is set globally (settings ``backup_keep_last``, ``backup_keep_daily``,
``backup_keep_weekly``, ``backup_keep_monthly``) and per site (``SiteSchedule.keep_*``, None
for the global value). Only backups the queue made are pruned: those made on request, or
before a disable or delete, stay until someone deletes them. The newest backup always stays.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import Site, SiteBackup, SiteSchedule
from ..services import settings

log = logging.getLogger(__name__)

#: The description of the backups the queue makes (the ones retention may delete).
SCHEDULED = "Scheduled backup"
FIELDS = ("last", "daily", "weekly", "monthly")


@dataclass(frozen=True)
class Retention:
    """How many scheduled backups to keep: the last N and one per day, week and month."""

    last: int
    daily: int = 0
    weekly: int = 0
    monthly: int = 0

    def describe(self) -> str:
        """"the last 3, 7 daily, 4 weekly, 0 monthly"."""
        return (f"the last {self.last}, {self.daily} daily, {self.weekly} weekly, "
                f"{self.monthly} monthly")


def global_policy() -> Retention:
    """The retention every site has unless it sets its own."""
    return Retention(*(int(settings.get(f"backup_keep_{name}") or 0) for name in FIELDS))


def policy_of(site: Site, schedule: SiteSchedule | None) -> Retention:
    """The site's retention: its own values where set, else the global ones."""
    default = global_policy()
    if schedule is None:
        return default
    values = []
    for name in FIELDS:
        own = getattr(schedule, f"keep_{name}")
        values.append(getattr(default, name) if own is None else int(own))
    return Retention(*values)


def kept(backups: list[tuple[int, datetime]], policy: Retention) -> set[int]:
    """The ids of the backups ``policy`` keeps among ``(id, created_at)`` pairs."""
    newest_first = sorted(backups, key=lambda pair: (pair[1], pair[0]), reverse=True)
    keep = {backup_id for backup_id, _ in newest_first[: max(1, policy.last)]}
    periods: list[tuple[int, Callable[[datetime], Hashable]]] = [
        (policy.daily, lambda moment: moment.date()),
        (policy.weekly, lambda moment: moment.isocalendar()[:2]),
        (policy.monthly, lambda moment: (moment.year, moment.month)),
    ]
    for count, period_of in periods:
        seen: set[Hashable] = set()
        for backup_id, moment in newest_first:
            if len(seen) >= count:
                break
            period = period_of(moment)
            if period not in seen:  # the first one met is the newest of its period
                seen.add(period)
                keep.add(backup_id)
    return keep


def prune(site: Site, backups_folder: Path) -> int:
    """Delete the site's scheduled backups its policy does not keep (caller commits);
    returns how many went. An archive outside ``backups_folder`` is never touched."""
    policy = policy_of(site, db.session.get(SiteSchedule, site.id))
    backups = list(db.session.scalars(
        select(SiteBackup).where(SiteBackup.site_id == site.id,
                                 SiteBackup.description == SCHEDULED)
    ))
    keep = kept([(backup.id, backup.created_at) for backup in backups], policy)
    folder = os.path.realpath(backups_folder)
    removed = 0
    for backup in backups:
        if backup.id in keep:
            continue
        archive = os.path.realpath(backup.filename)
        if os.path.dirname(archive) != folder:
            log.warning("backup %s of %s is outside %s; left alone", archive, site.uri, folder)
            continue
        try:
            os.unlink(archive)
        except FileNotFoundError:
            pass  # already gone: the record goes too
        db.session.delete(backup)
        removed += 1
    return removed
