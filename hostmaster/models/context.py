"""The map between provision context names (``@server_master``) and front-end entities."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ContextName(Base):
    """The unique context name of a server, platform or site (stored without the ``@``)."""

    __tablename__ = "context_name"
    __table_args__ = (UniqueConstraint("entity_kind", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    entity_kind: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column()
