"""Clients: create and edit them (a sanitised unique short name, the users allowed on them),
the account made for a new client and its welcome mail, and the default client of sites
made before any client existed."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    Client,
    ClientUser,
    OutgoingMail,
    Role,
    Site,
    SiteStatus,
    User,
    user_roles,
)
from . import accounts, settings, users
from .errors import ValidationError
from .transaction import Collision, transaction
from .validation import check_text

DEFAULT_UNAME = "default"
DEFAULT_NAME = "Default client"
FALLBACK_EMAIL = "admin@localhost.localdomain"
UNAME_LENGTH = 16
CLIENT_ROLE = "client"
#: How often a new client is tried again with the next free names after a collision.
COLLISION_ATTEMPTS = 5


@dataclass
class ClientSpec:
    """What the client form says; an empty ``uname`` is made from the name."""

    name: str
    email: str
    email_confirm: str
    organisation: str = ""
    uname: str = ""
    usernames: list[str] = field(default_factory=list)


def list_clients(*, viewer: Any = None) -> list[Client]:
    """Every client by name (only those ``viewer`` may see, when given)."""
    query = select(Client).order_by(Client.name)
    if viewer is not None:
        from .. import access

        query = access.visible(query, Client, viewer)
    return list(db.session.scalars(query))


def site_counts() -> dict[int, int]:
    """How many sites that are not deleted each client owns."""
    rows = db.session.execute(
        select(Site.client_id, func.count())
        .where(Site.status != SiteStatus.DELETED)
        .group_by(Site.client_id)
    )
    return {client_id: count for client_id, count in rows if client_id is not None}


def sites_of(client: Client) -> list[Site]:
    """The client's sites that are not deleted, by domain."""
    return list(
        db.session.scalars(
            select(Site)
            .where(Site.client_id == client.id, Site.status != SiteStatus.DELETED)
            .order_by(Site.uri)
        )
    )


def sanitise_uname(text: str) -> str:
    """A short name: lower-case letters and digits only, at most 16 characters."""
    return re.sub(r"[^a-z0-9]", "", text.lower())[:UNAME_LENGTH]


def free_uname(name: str, *, first: int = 1) -> str:
    """A short name made from ``name`` (with the prefix setting) that no client has yet: the
    name itself, else with the suffix 2, 3 ... (from ``first`` + 1 when ``first`` is given:
    a request that lost a race for a name starts further on, see first_suffix)."""
    base = sanitise_uname(str(settings.get("client_uname_prefix")) + name) or "client"
    number = first
    candidate = base if number == 1 else _suffixed(base, number)
    while _uname_owner(candidate) is not None:
        number += 1
        candidate = _suffixed(base, number)
    return candidate


def _suffixed(base: str, number: int) -> str:
    suffix = str(number)
    return base[: UNAME_LENGTH - len(suffix)] + suffix


def first_suffix(attempt: int) -> int:
    """Where the search for a free name starts on ``attempt`` (1: at the name itself). After a
    lost race every racer would find the same next free name again, so a later attempt starts
    at a random number instead."""
    return 1 if attempt == 1 else 2 + secrets.randbelow(99_998)


def _uname_owner(uname: str) -> int | None:
    return db.session.scalar(select(Client.id).where(Client.uname == uname))


def _check(spec: ClientSpec, client: Client | None) -> tuple[dict[str, list[str]], list[User]]:
    """Every reason the spec cannot be saved, by form field, and the users it names."""
    errors: dict[str, list[str]] = {}
    spec.name, spec.organisation = spec.name.strip(), spec.organisation.strip()
    spec.email = spec.email.strip()
    if not spec.name:
        errors["name"] = ["Enter the client's name, e.g. Jane Doe or Example Ltd."]
    elif problem := check_text(spec.name, "client's name", 255):
        errors["name"] = [problem]
    if problem := check_text(spec.organisation, "organisation's name", 255):
        errors["organisation"] = [problem]
    problem = users.check_email(spec.email)
    if problem:
        errors["email"] = [problem]
    elif spec.email != spec.email_confirm.strip():
        errors["email_confirm"] = ["The two addresses differ; type the same address twice."]
    typed = spec.uname.strip()
    if typed:
        spec.uname = sanitise_uname(typed)
        owner = _uname_owner(spec.uname) if spec.uname else None
        if not spec.uname:
            errors["uname"] = ["A short name needs at least one letter or digit."]
        elif owner is not None and (client is None or owner != client.id):
            errors["uname"] = [f"The short name {spec.uname} is taken; choose another."]
    elif client is not None:
        spec.uname = client.uname
    found: list[User] = []
    missing: list[str] = []
    for name in dict.fromkeys(n.strip() for n in spec.usernames if n.strip()):
        user = users.by_username(name)
        if user is None:
            missing.append(name)
        else:
            found.append(user)
    if missing:
        errors["usernames"] = [f"No account is called {', '.join(missing)}; check the names."]
    return errors, found


def create_client(spec: ClientSpec) -> tuple[Client, User | None]:
    """Create a client; with no users named and the setting on, also an account for it (role
    "client", no password until it is set through the welcome mail's link).

    Returns the client and the account made for it (None when none was). Raises
    ValidationError, having written nothing, on bad input. When another request takes the
    short name or user name chosen here at the same moment, the next free ones are chosen
    (a short name typed in is not changed: its taker wins and the form says so).
    """
    for attempt in range(1, COLLISION_ATTEMPTS + 1):
        errors, allowed = _check(spec, None)
        if errors:
            raise ValidationError(errors)
        try:
            return _create_client(spec, allowed, attempt)
        except Collision:
            if attempt == COLLISION_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _create_client(spec: ClientSpec, allowed: list[User], attempt: int
                   ) -> tuple[Client, User | None]:
    """Store the checked client (and its account) in one transaction."""
    taken = f"The short name {spec.uname} was taken a moment ago; choose another."
    with transaction(taken, field="uname"):
        client = Client(
            name=spec.name,
            organisation=spec.organisation,
            email=spec.email,
            uname=spec.uname or free_uname(spec.name, first=first_suffix(attempt)),
        )
        db.session.add(client)
        made: User | None = None
        if not allowed and settings.get("client_create_user"):
            made = users.create_user(
                users.free_username(spec.email, first=first_suffix(attempt)), spec.email, None,
                roles=[CLIENT_ROLE],
                commit=False,
            )
            allowed = [made]
        client.users = [ClientUser(user=user) for user in allowed]
    return client, made


def update_client(client: Client, spec: ClientSpec) -> Client:
    """Change a client's name, organisation, e-mail, short name and users (and commit)."""
    errors, allowed = _check(spec, client)
    if errors:
        raise ValidationError(errors)
    with transaction(f"The short name {spec.uname} was taken a moment ago; choose another.",
                     field="uname"):
        client.name, client.organisation = spec.name, spec.organisation
        client.email, client.uname = spec.email, spec.uname
        kept = {row.user_id: row for row in client.users}
        client.users = [kept.get(user.id) or ClientUser(user=user) for user in allowed]
    return client


def delete_client(client: Client) -> None:
    """Delete a client that owns no site (deleted sites move to the default client)."""
    if client.uname == DEFAULT_UNAME:
        raise ValidationError("The default client cannot be deleted: sites fall back to it.")
    if sites_of(client):
        raise ValidationError(
            f"{client.name} still owns sites; delete them or give them to another client "
            "first.")
    gone = db.session.scalars(select(Site).where(Site.client_id == client.id))
    fallback = default_client()
    for site in gone:
        site.client = fallback
    db.session.delete(client)
    db.session.commit()


def send_welcome(client: Client, user: User, **values: str) -> OutgoingMail | None:
    """Mail ``user`` the client welcome (with a password link) when the setting is on, through
    the outbox; the outbox's row says how it went (None: no mail is wanted)."""
    if not settings.get("client_welcome_mail"):
        return None
    return accounts.send_password_mail(
        user,
        str(settings.get("client_welcome_subject")),
        str(settings.get("client_welcome_body")),
        "client welcome",
        name=client.name,
        client=client.name,
        **values,
    )


def clients_of(user: User) -> list[Client]:
    """The clients ``user`` may act for."""
    return list(
        db.session.scalars(
            select(Client)
            .join(ClientUser, ClientUser.client_id == Client.id)
            .where(ClientUser.user_id == user.id)
            .order_by(Client.name)
        )
    )


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
