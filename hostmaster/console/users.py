"""``hostmaster user``: list and show accounts, and create one.

A new account gets the least powerful role, ``client`` (it sees only the sites of the clients
it is allowed on), unless ``--role`` names others. Its password is asked for, or read from the
environment variable HOSTMASTER_USER_PASSWORD, never taken from the command line.
"""

from __future__ import annotations

import os

import click

from .. import access
from ..api.serialize import as_dict
from ..services import clients, permissions, users
from ..services.errors import ValidationError
from ..ui import format_time
from . import lookup
from .base import NounGroup
from .options import refused
from .output import Refused, emit, fields, listing, output_options, table

user_cli = NounGroup("user", help="User accounts: list, show and create.")

#: The role a new account gets unless --role says otherwise: the least powerful one.
DEFAULT_ROLE = clients.CLIENT_ROLE
USER_FLAGS = {"username": "USERNAME", "email": "--email"}


@user_cli.command("list")
@output_options
def user_list() -> None:
    """Every account, with its roles."""
    rows = users.list_users()
    emit(listing([as_dict(row) for row in rows], len(rows), len(rows), 0), [
        *table(["ID", "USERNAME", "E-MAIL", "ROLES", "ACTIVE", "LAST LOGIN"],
               [[u.id, u.username, u.email, ", ".join(sorted(r.name for r in u.roles)),
                 "yes" if u.active else "no", format_time(u.last_login_at)] for u in rows]),
        f"{len(rows)} account(s).",
    ])


@user_cli.command("show")
@click.argument("user_word", metavar="USER")
@output_options
def user_show(user_word: str) -> None:
    """An account's details and the clients it acts for."""
    user = lookup.user(user_word)
    emit(as_dict(user), fields([
        ("id", user.id), ("username", user.username), ("e-mail", user.email),
        ("roles", ", ".join(sorted(r.name for r in user.roles)) or "none"),
        ("active", "yes" if user.active else "no"),
        ("clients", ", ".join(c.name for c in clients.clients_of(user)) or "none"),
        ("created", format_time(user.created_at)),
        ("last login", format_time(user.last_login_at)),
    ]))


def _known_roles() -> list[str]:
    """Roles an account may hold: the built-in ones (but anonymous) and any made since."""
    stored = [role.name for role in permissions.roles()]
    return [name for name in dict.fromkeys([*access.ROLES, *stored]) if name != access.ANONYMOUS]


@user_cli.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, metavar="ROLE",
              help=f"A role of the account (repeat for several; default: {DEFAULT_ROLE}, the "
                   "least powerful). The roles: client, account manager, platform manager, "
                   "administrator.")
@click.option("--no-password", is_flag=True,
              help="Make the account without a password: it is set through a reset link.")
@output_options
def user_create(username: str, email: str, roles: tuple[str, ...], no_password: bool) -> None:
    """Create a user account. The password is asked for (or read from HOSTMASTER_USER_PASSWORD)."""
    chosen = list(roles) or [DEFAULT_ROLE]
    known = _known_roles()
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise Refused(f"There is no role {unknown[0]!r}; the roles are {', '.join(known)}.")
    password: str | None = None
    if not no_password:
        password = os.environ.get("HOSTMASTER_USER_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True, err=True)
    try:
        user = users.create_user(username, email, password, roles=chosen)
    except ValidationError as error:
        raise refused(error, USER_FLAGS) from None
    emit(as_dict(user), f"User {user.username} created with the role(s) {', '.join(chosen)}.")
