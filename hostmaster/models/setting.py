"""Settings, features and the state of the batch queues: small key/value tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamp


class Setting(Base):
    """One setting; values are JSON so that lists and numbers keep their type."""

    __tablename__ = "setting"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Feature(Base):
    """An optional feature switched on or off on the Features page."""

    __tablename__ = "feature"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)


class QueueState(Base):
    """A batch queue's schedule: how often, how many items per run, and when it last ran."""

    __tablename__ = "queue_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    frequency: Mapped[int] = mapped_column(default=3600)
    items: Mapped[int] = mapped_column(default=5)
    last_run_at: Mapped[datetime | None] = mapped_column(Timestamp)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
