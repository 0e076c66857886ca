"""The cron queue: each enabled site's application cron once per frequency (default 1 hour),
oldest ``last cron`` first, through ``provision @site cron`` (HTTP to the site's cron
address on its own web server; see provision/commands/cron.py).

As in the original, ``last cron`` moves when a site's cron is attempted, so that a failing
site does not hold the head of the queue; its failure is in the queue's last result.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import Site, SiteStatus
from . import Batch, BatchQueue, register
from .sites import (
    BatchReport,
    due_before,
    enabled_sites_count,
    not_busy,
    run_provision,
    work_on_each,
)


def pick(batch: Batch) -> list[int]:
    """Claim up to ``batch.items`` due sites, oldest last cron first (their last cron → now)."""
    if batch.items <= 0:
        return []
    ids = list(db.session.scalars(
        select(Site.id)
        .where(
            Site.status == SiteStatus.ENABLED,
            or_(Site.last_cron_at.is_(None),
                Site.last_cron_at < due_before(batch.now, batch.frequency)),
            not_busy(),
        )
        .order_by(Site.last_cron_at, Site.id)
        .limit(batch.items)
    ))
    if ids:
        db.session.execute(
            update(Site).where(Site.id.in_(ids)).values(last_cron_at=batch.now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return ids


def run_cron(batch: Batch) -> str:
    """Run cron on one batch of sites."""
    def work(site: Site) -> None:
        run_provision(batch.app, site, "cron", {"cron_key": site.cron_key} if site.cron_key
                      else {})

    return work_on_each(pick(batch), work, BatchReport()).summary("Ran cron on")


register(BatchQueue(
    name="cron",
    title="Cron",
    description="Run each enabled site's cron (Drupal's cron key address, WordPress's "
    "wp-cron.php) once per frequency, oldest first.",
    default_frequency=3600,
    default_items=0,
    run=run_cron,
    total=enabled_sites_count,
    unit=("site", "sites"),
    min_threads=6,
    max_threads=12,
    threshold=100,
))
