"""Rate events: one row per attempt that a limit counts (sign-ups and reset requests per
remote address, failed logins per account), so that limits hold across processes and stores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamp, utcnow


class RateEvent(Base):
    """One counted attempt: ``bucket`` names the limit, ``key`` whom it counts (an address,
    a user name)."""

    __tablename__ = "rate_event"
    __table_args__ = (Index("ix_rate_event_bucket_key_created_at", "bucket", "key", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
