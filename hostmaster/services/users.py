"""User accounts: create them and check their passwords."""

from __future__ import annotations

import re

from sqlalchemy import select

from ..extensions import db
from ..models import Role, User, utcnow
from .errors import ValidationError

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


def create_user(
    username: str, email: str, password: str, *, roles: list[str] | None = None
) -> User:
    """Create an account; raises ValidationError, having written nothing, on bad input."""
    errors: dict[str, list[str]] = {}
    if not _USERNAME.match(username):
        errors["username"] = ["A user name has 1 to 64 letters, digits, '.', '_', '@' or '-'."]
    elif db.session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = [f"The user name {username} is taken."]
    if not _EMAIL.match(email):
        errors["email"] = [f"'{email}' is not an e-mail address."]
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"A password has at least {MIN_PASSWORD_LENGTH} characters."]
    if errors:
        raise ValidationError(errors)
    user = User(username=username, email=email)
    user.set_password(password)
    user.roles = [_role(name) for name in roles or []]
    db.session.add(user)
    db.session.commit()
    return user


def _role(name: str) -> Role:
    role = db.session.scalar(select(Role).where(Role.name == name))
    if role is None:
        role = Role(name=name)
        db.session.add(role)
    return role


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None; records the time of the login."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def get(user_id: int) -> User | None:
    """The user with this id, for the session loader."""
    return db.session.get(User, user_id)
