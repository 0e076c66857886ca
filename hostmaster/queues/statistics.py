"""The statistics queue: each enabled site's users, active users (30 days), content items and
comments, read from its database by ``provision @site statistics``, kept as history
(``SiteStatistic``) with the latest reading in ``SiteSchedule`` for the dashboard's totals."""

from __future__ import annotations

from ..extensions import db
from ..models import Site, SiteStatistic
from . import Batch, BatchQueue, register
from .backup import pick, schedule_of
from .sites import BatchReport, enabled_sites_count, run_provision, work_on_each

NUMBERS = ("users", "active_users", "content_items", "comments")


def record(site: Site, result: dict[str, object], batch: Batch) -> SiteStatistic:
    """Store one reading (the caller commits)."""
    values = {}
    for name in NUMBERS:
        value = result.get(name)
        values[name] = int(value) if isinstance(value, int | str) and str(value).isdigit() else 0
    reading = SiteStatistic(site_id=site.id, taken_at=batch.now, **values)
    db.session.add(reading)
    schedule = schedule_of(site.id)
    for name, value in values.items():
        setattr(schedule, name, value)
    return reading


def run_statistics(batch: Batch) -> str:
    """Read the numbers of one batch of sites."""
    def work(site: Site) -> None:
        record(site, run_provision(batch.app, site, "statistics"), batch)

    return work_on_each(pick(batch, "last_statistics_at"), work, BatchReport()).summary(
        "Read statistics of")


register(BatchQueue(
    name="statistics",
    title="Statistics",
    description="Read each enabled site's users, active users, content items and comments "
    "from its database, for the site's chart and the dashboard's totals.",
    default_frequency=86400,
    default_items=0,
    run=run_statistics,
    total=enabled_sites_count,
    unit=("site", "sites"),
))
