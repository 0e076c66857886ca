"""The outbox: every mail the panel sends, with its status, attempts and last error."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IntEnumType, Timestamp, utcnow
from .encrypted import Encrypted


class MailStatus(enum.IntEnum):
    """Where an outgoing mail is: waiting for its first try, sent, or failed (last try)."""

    QUEUED = 0
    SENT = 1
    FAILED = 2


class OutgoingMail(Base):
    """One mail to one address.

    A mail that carries a link to set a password keeps, in place of the link, the marker
    ``PASSWORD_LINK_MARKER`` and the user it is for: each try makes a fresh link, so no
    password link rests in the store and a resend does not send an expired one.
    """

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    # A mail may carry a site's one-time login link or a client's first words: the store
    # keeps the body encrypted (hostmaster/store_secrets.py).
    body_encrypted: Mapped[str] = mapped_column("body", Text)
    body = Encrypted("body_encrypted")
    link_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[MailStatus] = mapped_column(IntEnumType(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
