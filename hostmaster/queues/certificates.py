"""The certificate queue: sites with HTTPS whose certificate expires within the setting
``certificate_renew_days`` (or is self-signed, or not known yet) get a new one from the ACME CA
through ``provision @site certificate``. A failure keeps the old certificate serving, is shown
on the site's page and the dashboard, and the site waits (1 h, doubled per failure, at most a
day) before the next try. The published panel's certificate is renewed by a verify of the
master, which the queue queues when that certificate is due
(hostmaster/services/panel_publishing.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..models import Site, SiteHttps, SiteStatus
from ..services import panel_publishing, site_https, tasks
from ..services.contexts import master_server
from . import Batch, BatchQueue, register
from .sites import BatchReport, SiteWorkFailed, not_busy, run_provision, work_on_each

#: A claimed site is left alone this long by other passes while its renewal runs.
CLAIM = timedelta(hours=1)


def _with_https() -> ColumnElement[bool]:
    return and_(Site.status == SiteStatus.ENABLED, SiteHttps.mode != "off",
                SiteHttps.source == "acme")


def sites_with_https() -> int:
    """The queue's items: enabled sites with HTTPS whose certificate comes from the CA (an
    uploaded one is the admin's to replace)."""
    return db.session.scalar(
        select(func.count(Site.id)).join(SiteHttps, SiteHttps.site_id == Site.id)
        .where(_with_https())) or 0


def pick(now: datetime, items: int) -> list[int]:
    """Claim up to ``items`` sites whose certificate is due (the soonest to expire first)."""
    if items <= 0:
        return []
    due = now + timedelta(days=site_https.renew_days())
    ids = list(db.session.scalars(
        select(Site.id).join(SiteHttps, SiteHttps.site_id == Site.id)
        .where(_with_https(), not_busy(),
               or_(SiteHttps.expires_at.is_(None), SiteHttps.self_signed.is_(True),
                   SiteHttps.expires_at < due),
               or_(SiteHttps.retry_at.is_(None), SiteHttps.retry_at <= now))
        .order_by(SiteHttps.expires_at, Site.id).limit(items)))
    for site_id in ids:
        row = db.session.get(SiteHttps, site_id)
        if row is not None:
            row.retry_at = now + CLAIM
    db.session.commit()
    return ids


def run_renewals(batch: Batch) -> str:
    """Renew one batch of due certificates."""
    if not site_https.acme_properties():
        return "No certificate authority is set (Administration › Settings › HTTPS)."

    def work(site: Site) -> None:
        try:
            result = run_provision(batch.app, site, "certificate",
                                   {"renew_days": site_https.renew_days()})
        except SiteWorkFailed as failure:
            site_https.renewal_failed(site, str(failure), batch.now)
            db.session.commit()
            raise
        site_https.renewed(site, result.get("certificate"))

    report = work_on_each(pick(batch.now, batch.items), work, BatchReport())
    return report.summary("Checked the certificates of") + verify_for_the_panel(batch.now)


def verify_for_the_panel(now: datetime) -> str:
    """Queue a verify of the master (which renews the published panel's certificate) when that
    certificate is self-signed or due; what was done, as the end of the run's sentence."""
    master = master_server()
    if master is None or not panel_publishing.certificate_due(now, site_https.renew_days()):
        return ""
    why_not = tasks.why_unavailable(master, "verify")
    if why_not is not None:
        return f" The panel's certificate is due; no verify of the master was queued: {why_not}"
    tasks.queue(master, "verify")
    return " The panel's certificate is due: queued a verify of the master."


def items_to_check() -> int:
    """Sites with HTTPS from the CA, and the published panel."""
    return sites_with_https() + int(panel_publishing.published())


register(BatchQueue(
    name="certificates",
    title="Certificates",
    description="Renew the HTTPS certificates of sites whose certificate expires within the "
    "renewal window (Settings › HTTPS), is self-signed or not known yet.",
    default_frequency=3600,
    default_items=0,
    run=run_renewals,
    total=items_to_check,
    unit=("site", "sites"),
))
