"""People who log in: users, their roles, and the clients they may act for."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import Base, Timestamp, utcnow

#: How passwords are hashed: werkzeug's scrypt (N=2**15), about 0.1 s of CPU per hash.
PASSWORD_METHOD = "scrypt"
#: Apps made with ``TESTING`` only (never a production setting): one round of PBKDF2, so
#: that the thousands of accounts and logins of the test suite cost no CPU worth counting.
TESTING_PASSWORD_METHOD = "pbkdf2:sha256:1"


def password_method() -> str:
    """The hash method for new passwords: scrypt, unless the current app is a test app."""
    if has_app_context() and current_app.config.get("TESTING"):
        return TESTING_PASSWORD_METHOD
    return PASSWORD_METHOD


user_roles = Table(
    "user_role",
    Base.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(Base):
    """A named set of permissions (client, account manager, platform manager, administrator)."""

    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)

    permissions: Mapped[list[RolePermission]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class RolePermission(Base):
    """One permission granted to a role (names as in hostmaster/access/)."""

    __tablename__ = "role_permission"

    role_id: Mapped[int] = mapped_column(
        ForeignKey("role.id", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(String(128), primary_key=True)


def new_session_token() -> str:
    """A random token that the sessions of an account carry until it changes."""
    return secrets.token_urlsafe(24)


class User(UserMixin, Base):
    """An account of the web interface; the password is stored only as a salted hash.

    Each session carries the account's ``session_token`` in its user id (``get_id``); a new
    token (logout, a new password) ends every session that carries the old one.
    """

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    roles: Mapped[list[Role]] = relationship(secondary=user_roles, lazy="selectin")

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password``."""
        self.password_hash = generate_password_hash(password, method=password_method())

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """What a session stores to name this user: the id and the current session token."""
        return f"{self.id}:{self.session_token}"

    def carries_session(self, token: str) -> bool:
        """Whether a session with ``token`` is still one of this account's."""
        return bool(self.session_token) and hmac.compare_digest(
            self.session_token.encode(), token.encode())

    def end_sessions(self) -> None:
        """Give the account a new session token: every session made before ends."""
        self.session_token = new_session_token()

    def has_role(self, name: str) -> bool:
        """True when the user holds the role called ``name``."""
        return any(role.name == name for role in self.roles)
