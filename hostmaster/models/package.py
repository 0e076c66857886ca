"""Packages (modules, themes, profiles, plugins, core) and where each is found."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Package(Base):
    """A package known by its short name and kind, whatever its version."""

    __tablename__ = "package"
    __table_args__ = (UniqueConstraint("short_name", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    short_name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")


class PackageInstance(Base):
    """A package present on a platform or a site, with its version and schema version.

    ``owner_kind`` is "platform" or "site"; ``profile`` names the install profile a package
    ships inside, if any; ``enabled`` matters for sites.
    """

    __tablename__ = "package_instance"
    __table_args__ = (Index("ix_package_instance_owner", "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("package.id", ondelete="CASCADE"))
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column()
    path: Mapped[str] = mapped_column(String(1024), default="")
    version: Mapped[str] = mapped_column(String(64), default="Unknown")
    version_code: Mapped[int] = mapped_column(BigInteger, default=0)
    schema_version: Mapped[int] = mapped_column(default=0)
    enabled: Mapped[bool] = mapped_column(default=False)
    profile: Mapped[str | None] = mapped_column(String(64))

    package: Mapped[Package] = relationship(lazy="joined")
