"""The backup queue: each enabled site backed up once per frequency (default daily) through
``provision @site backup``, recorded as an ordinary backup, then its retention applied in the
same pass (retention.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Site, SiteSchedule, SiteStatus
from ..services import site_results
from . import Batch, BatchQueue, register
from .retention import SCHEDULED, prune
from .sites import (
    BatchReport,
    due_before,
    enabled_sites_count,
    not_busy,
    run_provision,
    work_on_each,
)


def schedule_of(site_id: int) -> SiteSchedule:
    """The site's schedule row, made on first use (the caller commits)."""
    schedule = db.session.get(SiteSchedule, site_id)
    if schedule is None:
        schedule = SiteSchedule(site_id=site_id, users=0, active_users=0, content_items=0,
                                comments=0)
        db.session.add(schedule)
    return schedule


def pick(batch: Batch, column_name: str) -> list[int]:
    """Claim up to ``batch.items`` enabled sites whose ``SiteSchedule.<column_name>`` is due,
    the longest waiting first (the column → now)."""
    if batch.items <= 0:
        return []
    column = getattr(SiteSchedule, column_name)
    ids = list(db.session.scalars(
        select(Site.id)
        .outerjoin(SiteSchedule, SiteSchedule.site_id == Site.id)
        .where(
            Site.status == SiteStatus.ENABLED,
            or_(column.is_(None), column < due_before(batch.now, batch.frequency)),
            not_busy(),
        )
        .order_by(column, Site.id)
        .limit(batch.items)
    ))
    for site_id in ids:
        setattr(schedule_of(site_id), column_name, batch.now)
    db.session.commit()
    return ids


def run_backups(batch: Batch) -> str:
    """Back up one batch of sites and prune their old scheduled backups."""
    folder = Path(batch.app.config["AEGIR_ROOT"]) / "backups"
    pruned = 0

    def work(site: Site) -> None:
        nonlocal pruned
        result = run_provision(batch.app, site, "backup", {"description": SCHEDULED})
        site_results.record_backup(site, result, SCHEDULED)
        db.session.flush()
        pruned += prune(site, folder)

    report = work_on_each(pick(batch, "last_backup_at"), work, BatchReport())
    return report.summary("Backed up") + (f" Deleted {pruned} old backups." if pruned else "")


register(BatchQueue(
    name="backup",
    title="Backups",
    description="Back up each enabled site once per frequency, then delete the scheduled "
    "backups its retention policy does not keep.",
    default_frequency=86400,
    default_items=0,
    run=run_backups,
    total=enabled_sites_count,
    unit=("site", "sites"),
))
