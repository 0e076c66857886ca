"""Servers and the services they offer (http: apache/nginx, db: mysql)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .base import Base, IntEnumType, ServerStatus, Timestamp, utcnow
from .encrypted import Encrypted, encrypt_plugin_values

SERVICE_TYPES: dict[str, tuple[str, ...]] = {
    "http": ("apache", "nginx", "null"),
    "db": ("mysql", "null"),
}


class ServerIP(Base):
    """One IP address of a server."""

    __tablename__ = "server_ip"
    __table_args__ = (UniqueConstraint("server_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("server.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(45))


class ServerService(Base):
    """A service of a server: its implementation type and the settings provision needs.

    ``options`` holds the type's further properties (configtest command, include folder,
    web group, db host or socket) so that a new service type needs no schema change.
    """

    __tablename__ = "server_service"
    __table_args__ = (UniqueConstraint("server_id", "service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("server.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32), default="null")
    port: Mapped[int | None] = mapped_column()
    restart_cmd: Mapped[str] = mapped_column(String(1024), default="")
    db_user: Mapped[str] = mapped_column(String(80), default="")
    #: The db admin password (it has GRANT OPTION), encrypted in the store.
    db_password_encrypted: Mapped[str] = mapped_column("db_password", Text, default="")
    db_password = Encrypted("db_password_encrypted")
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Server(Base):
    """A machine that hosts web and/or database services."""

    __tablename__ = "server"

    id: Mapped[int] = mapped_column(primary_key=True)
    hostname: Mapped[str] = mapped_column(String(253), unique=True)
    human_name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[ServerStatus] = mapped_column(
        IntEnumType(ServerStatus), default=ServerStatus.QUEUED
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: Values of the fields plugins add to its form (hostmaster/hookspecs.py), by field name.
    plugin_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: How provision logs in to a remote server (empty: the dispatcher user's name and keys).
    ssh_user: Mapped[str] = mapped_column(String(64), default="")
    ssh_port: Mapped[int | None] = mapped_column()
    ssh_key_file: Mapped[str] = mapped_column(String(1024), default="")

    ip_addresses: Mapped[list[ServerIP]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=ServerIP.id
    )
    services: Mapped[list[ServerService]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=ServerService.service
    )

    entity_kind = "server"

    @validates("plugin_fields")
    def _encrypt_secret_fields(self, _key: str, values: dict[str, Any]) -> dict[str, Any]:
        return encrypt_plugin_values(self.entity_kind, values)

    @hybrid_property
    def title(self) -> str:
        """What the interface calls this server (also an SQL expression: task_queries reads
        titles without loading servers)."""
        return self.human_name or self.hostname

    @title.inplace.expression
    @classmethod
    def _title_expression(cls) -> ColumnElement[str]:
        return func.coalesce(func.nullif(cls.human_name, ""), cls.hostname)

    def service(self, name: str) -> ServerService | None:
        """The server's ``name`` service ("http", "db"), or None."""
        return next((s for s in self.services if s.service == name), None)

    def service_type(self, name: str) -> str:
        """The implementation of service ``name``, "null" when it has none."""
        found = self.service(name)
        return found.type if found else "null"
