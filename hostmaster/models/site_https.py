"""A site's HTTPS: its mode (off, enabled, required), HSTS, and the certificate it serves as the
last install, verify or renewal reported it, with the renewal queue's back-off after a failure.
One row per site that ever had HTTPS set; no row means off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamp


class SiteHttps(Base):
    """HTTPS of one site and the facts of its certificate."""

    __tablename__ = "site_https"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(8), default="off")
    hsts: Mapped[bool] = mapped_column(default=False)
    #: Where the certificate comes from: "acme" (the CA, renewed) or "uploaded" (by an admin).
    source: Mapped[str] = mapped_column(String(8), default="acme")
    # The certificate served, as provision reported it (None: not known yet).
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp, index=True)
    issuer: Mapped[str] = mapped_column(String(255), default="")
    serial: Mapped[str] = mapped_column(String(64), default="")
    self_signed: Mapped[bool] = mapped_column(default=False)
    names: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The last renewal that failed: why, when, and when the queue tries again.
    error: Mapped[str] = mapped_column(Text, default="")
    failed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    failures: Mapped[int] = mapped_column(default=0)
    retry_at: Mapped[datetime | None] = mapped_column(Timestamp)
