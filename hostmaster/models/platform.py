"""Platforms: codebases of Drupal or WordPress published on a web server."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .base import Base, IntEnumType, PlatformStatus, Timestamp, utcnow
from .client import Client
from .encrypted import encrypt_plugin_values
from .server import Server

platform_clients = Table(
    "platform_client",
    Base.metadata,
    Column("platform_id", ForeignKey("platform.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", ForeignKey("client.id", ondelete="CASCADE"), primary_key=True),
)


class Platform(Base):
    """A codebase; ``application``, ``version`` and ``core`` come from its last verify."""

    __tablename__ = "platform"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    root: Mapped[str] = mapped_column(String(1024))
    makefile: Mapped[str] = mapped_column(String(1024), default="")
    web_server_id: Mapped[int] = mapped_column(ForeignKey("server.id"))
    status: Mapped[PlatformStatus] = mapped_column(
        IntEnumType(PlatformStatus), default=PlatformStatus.QUEUED
    )
    application: Mapped[str] = mapped_column(String(32), default="")
    version: Mapped[str] = mapped_column(String(64), default="")
    core: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: Values of the fields plugins add to its form (hostmaster/hookspecs.py), by field name.
    plugin_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    web_server: Mapped[Server] = relationship(lazy="joined")
    clients: Mapped[list[Client]] = relationship(secondary=platform_clients)

    entity_kind = "platform"

    @validates("plugin_fields")
    def _encrypt_secret_fields(self, _key: str, values: dict[str, Any]) -> dict[str, Any]:
        return encrypt_plugin_values(self.entity_kind, values)

    @hybrid_property
    def title(self) -> str:
        """What the interface calls this platform (also an SQL expression)."""
        return self.name
