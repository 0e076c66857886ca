"""Per-site state of the batch queues: when a site was last backed up and read, its latest
statistics, and its backup retention (None: the global setting)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamp
from .site import Site


class SiteSchedule(Base):
    """A site's place in the backup and statistics queues, and its retention overrides."""

    __tablename__ = "site_schedule"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    last_backup_at: Mapped[datetime | None] = mapped_column(Timestamp, index=True)
    last_statistics_at: Mapped[datetime | None] = mapped_column(Timestamp, index=True)
    # Retention of scheduled backups; None keeps the global setting of the same name.
    keep_last: Mapped[int | None] = mapped_column()
    keep_daily: Mapped[int | None] = mapped_column()
    keep_weekly: Mapped[int | None] = mapped_column()
    keep_monthly: Mapped[int | None] = mapped_column()
    # The latest statistics reading (the history is SiteStatistic): the dashboard sums these.
    users: Mapped[int] = mapped_column(default=0)
    active_users: Mapped[int] = mapped_column(default=0)
    content_items: Mapped[int] = mapped_column(default=0)
    comments: Mapped[int] = mapped_column(default=0)


# The cron queue takes the enabled sites with the oldest last cron first.
Index("ix_site_status_last_cron_at", Site.status, Site.last_cron_at)
