"""Sites (one database and one sites/<uri> folder on a platform), their aliases and backups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .base import Base, IntEnumType, SiteStatus, Timestamp, utcnow
from .client import Client
from .encrypted import Encrypted, encrypt_plugin_values
from .platform import Platform
from .server import Server
from .site_https import SiteHttps


class Site(Base):
    """A site. Its uri is unique among sites that are not deleted (checked by the service)."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(235), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id"))
    db_server_id: Mapped[int | None] = mapped_column(ForeignKey("server.id"))
    db_name: Mapped[str] = mapped_column(String(64), default="")
    profile: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str] = mapped_column(String(12), default="en")
    status: Mapped[SiteStatus] = mapped_column(IntEnumType(SiteStatus), default=SiteStatus.QUEUED)
    #: The key of the site's cron address, encrypted in the store.
    cron_key_encrypted: Mapped[str] = mapped_column("cron_key", Text, default="")
    cron_key = Encrypted("cron_key_encrypted")
    last_cron_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: Values of the fields plugins add to its form (hostmaster/hookspecs.py), by field name.
    plugin_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The one-time login link of the last install or login-reset, offered until it expires
    # or is used once (provision returns it; the site page's "Log in to" link spends it).
    # It logs anyone in as the site's administrator, so the store keeps it encrypted.
    login_link_encrypted: Mapped[str] = mapped_column("login_link", Text, default="")
    login_link = Encrypted("login_link_encrypted")
    login_link_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)

    client: Mapped[Client | None] = relationship()
    platform: Mapped[Platform] = relationship(lazy="joined")
    db_server: Mapped[Server | None] = relationship()
    #: HTTPS and the certificate served (None: HTTPS off; hostmaster.services.site_https).
    https: Mapped[SiteHttps | None] = relationship(lazy="selectin", viewonly=True)
    aliases: Mapped[list[SiteAlias]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SiteAlias.alias"
    )

    entity_kind = "site"

    @validates("plugin_fields")
    def _encrypt_secret_fields(self, _key: str, values: dict[str, Any]) -> dict[str, Any]:
        return encrypt_plugin_values(self.entity_kind, values)

    @hybrid_property
    def title(self) -> str:
        """What the interface calls this site (also an SQL expression)."""
        return self.uri


class SiteAlias(Base):
    """Another domain of a site, served by it or redirected (301) to its domain; automatic ones
    come from the settings (hostmaster/services/site_aliases.py). A site has each alias once."""

    __tablename__ = "site_alias"
    __table_args__ = (UniqueConstraint("site_id", "alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(235), index=True)
    redirection: Mapped[bool] = mapped_column(default=False)
    automatic: Mapped[bool] = mapped_column(default=False)


class SiteBackup(Base):
    """A backup archive of a site, kept on the master."""

    __tablename__ = "site_backup"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    server_id: Mapped[int | None] = mapped_column(ForeignKey("server.id"))
    filename: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    description: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class SiteStatistic(Base):
    """One reading of a site's numbers, kept as history for its chart."""

    __tablename__ = "site_statistic"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    taken_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    users: Mapped[int] = mapped_column(default=0)
    active_users: Mapped[int] = mapped_column(default=0)
    content_items: Mapped[int] = mapped_column(default=0)
    comments: Mapped[int] = mapped_column(default=0)
