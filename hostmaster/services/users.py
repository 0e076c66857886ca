"""User accounts: create them, check their passwords (failures slow down their address,
hostmaster/services/login_throttle.py), end their sessions, and let people change their own
password and e-mail."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Role, User, utcnow
from . import login_throttle
from .errors import ValidationError
from .transaction import transaction
from .validation import rules

_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


def check_email(email: str) -> str | None:
    """None when ``email`` is an e-mail address (provision's rule), else a sentence saying so."""
    if not email:
        return "Enter an e-mail address, e.g. jane@example.com."
    return rules.problem(rules.email, email)


def check_password(password: str, confirm: str | None = None) -> str | None:
    """None when ``password`` is acceptable (and equals ``confirm`` when given)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"A password has at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"A password has at most {MAX_PASSWORD_LENGTH} characters."
    if confirm is not None and confirm != password:
        return "The two passwords differ; type the same password twice."
    return None


def create_user(
    username: str,
    email: str,
    password: str | None,
    *,
    roles: list[str] | None = None,
    commit: bool = True,
) -> User:
    """Create an account; raises ValidationError, having written nothing, on bad input.

    ``password`` None makes an account nobody can log in to until a password is set through
    a mailed link.
    """
    errors: dict[str, list[str]] = {}
    if not _USERNAME.fullmatch(username):
        errors["username"] = ["A user name has 1 to 64 letters, digits, '.', '_', '@' or '-'."]
    elif username_taken(username):
        errors["username"] = [f"The user name {username} is taken."]
    problem = check_email(email)
    if problem:
        errors["email"] = [problem]
    problem = check_password(password) if password is not None else None
    if problem:
        errors["password"] = [problem]
    if errors:
        raise ValidationError(errors)
    user = User(username=username, email=email)
    # No password yet: a random one that is never shown, so no login works until one is set.
    user.set_password(password if password is not None else secrets.token_urlsafe(32))
    user.roles = [_role(name) for name in roles or []]
    if not commit:
        db.session.add(user)
        return user
    with transaction(f"The user name {username} was taken a moment ago; choose another.",
                     field="username"):
        db.session.add(user)
    return user


def username_taken(username: str) -> bool:
    """Whether an account has this user name (MariaDB compares names without case)."""
    return db.session.scalar(select(User.id).where(User.username == username)) is not None


def free_username(email: str, *, first: int = 1) -> str:
    """A user name made from the part of ``email`` before the @ that no account has yet
    (jane, then jane2, jane3 ...; from jane<first + 1> when ``first`` is given)."""
    local = email.split("@", 1)[0].lower()
    base = re.sub(r"[^a-z0-9_.-]", "", local).lstrip("._-")[:56] or "user"
    number = first
    name = base if number == 1 else f"{base}{number}"
    while username_taken(name):
        number += 1
        name = f"{base}{number}"
    return name


def _role(name: str) -> Role:
    from . import permissions  # a built-in role starts with its default grants

    return permissions.role(name)


def authenticate(username: str, password: str, address: str) -> User | None:
    """The active user with these credentials, or None; records the time of the login.

    Raises login_throttle.LoginThrottled, without looking at the password, while failures
    from ``address`` (the remote address) must wait; a good login forgets the failures of
    that name from that address.
    """
    login_throttle.check(address, username)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.check_password(password):
        login_throttle.record_failure(address, username)
        return None
    login_throttle.forget_failures(address, username)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def end_sessions(user: User) -> None:
    """End every session of ``user``, in every browser (and commit)."""
    user.end_sessions()
    db.session.commit()


def set_password(user: User, password: str, confirm: str) -> None:
    """Give ``user`` a new password (and commit); raises ValidationError on a bad one.

    Every session of the account ends: whoever knew the old password is logged out.
    """
    problem = check_password(password, confirm)
    if problem:
        raise ValidationError.field("password", problem)
    user.set_password(password)
    user.end_sessions()
    db.session.commit()


def change_password(user: User, current: str, password: str, confirm: str) -> None:
    """Change one's own password, proving the current one first; every session of the
    account ends (the caller logs the current one in again)."""
    if not user.check_password(current):
        raise ValidationError.field(
            "current_password", "Your current password is not right; type it again.")
    set_password(user, password, confirm)


def change_email(user: User, current: str, email: str, confirm: str) -> None:
    """Change one's own e-mail address, proving the current password first."""
    errors: dict[str, list[str]] = {}
    if not user.check_password(current):
        errors["current_password"] = ["Your current password is not right; type it again."]
    email = email.strip()
    problem = check_email(email)
    if problem:
        errors["email"] = [problem]
    elif email != confirm.strip():
        errors["email_confirm"] = ["The two addresses differ; type the same address twice."]
    if errors:
        raise ValidationError(errors)
    user.email = email
    db.session.commit()


def with_email(email: str) -> list[User]:
    """The active accounts that use this e-mail address (any case)."""
    wanted = email.strip().lower()
    if not wanted:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), func.lower(User.email) == wanted)
            .order_by(User.id)
        )
    )


def by_username(username: str) -> User | None:
    """The account called ``username``, or None."""
    return db.session.scalar(select(User).where(User.username == username))


def list_users() -> list[User]:
    """Every account, by user name."""
    return list(db.session.scalars(select(User).order_by(User.username)))


def get(user_id: int) -> User | None:
    """The user with this id, with their roles and permissions in the same query (every
    request of a logged-in user asks)."""
    return db.session.get(
        User, user_id, options=[joinedload(User.roles).joinedload(Role.permissions)])


def for_session(session_id: str) -> User | None:
    """The user a session names (``User.get_id``), while the account is active and the
    session's token is still the account's; None otherwise (the session has ended)."""
    user_id, _, token = session_id.partition(":")
    user = get(int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or not user.carries_session(token):
        return None
    return user
