"""Clients: until the clients issue, every site belongs to one default client made on first use."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Client, Role, User, user_roles

DEFAULT_UNAME = "default"
DEFAULT_NAME = "Default client"
FALLBACK_EMAIL = "admin@localhost.localdomain"


def list_clients() -> list[Client]:
    """Every client, by name."""
    return list(db.session.scalars(select(Client).order_by(Client.name)))


def _admin_email(user: User | None) -> str:
    """The e-mail of the admin asking, else of the first administrator, else a local address."""
    if user is not None and user.email:
        return user.email
    email = db.session.scalar(
        select(User.email)
        .join(user_roles, user_roles.c.user_id == User.id)
        .join(Role, Role.id == user_roles.c.role_id)
        .where(Role.name == "administrator")
        .order_by(User.id)
        .limit(1)
    )
    return email or FALLBACK_EMAIL


def default_client(user: User | None = None) -> Client:
    """The default client, created (not committed) on first use with the admin's e-mail."""
    client = db.session.scalar(select(Client).where(Client.uname == DEFAULT_UNAME))
    if client is None:
        client = Client(name=DEFAULT_NAME, uname=DEFAULT_UNAME, email=_admin_email(user))
        db.session.add(client)
        db.session.flush()
    return client
