"""Clients: the customers that own sites, and the users allowed to act for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamp, utcnow
from .user import User


class ClientUser(Base):
    """A user allowed to act for a client."""

    __tablename__ = "client_user"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("client.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    contact_type: Mapped[str] = mapped_column(String(32), default="")

    user: Mapped[User] = relationship()


class Client(Base):
    """A customer; ``uname`` is its sanitised short name (at most 16 characters)."""

    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    organisation: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(254))
    uname: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    users: Mapped[list[ClientUser]] = relationship(cascade="all, delete-orphan")
