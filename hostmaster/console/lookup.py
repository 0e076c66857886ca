"""Entities named on the command line: by name, by id, or by context name (``@name``).

A site is its domain (the live site of that domain, else the newest deleted one), a platform
its name, a server its host name, a client its short name or name, a user its user name, a
task and a backup their id (a backup also its file name). An unknown name is refused with the
command that lists the names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Client, Platform, Server, Site, SiteBackup, SiteStatus, Task, User
from ..services import contexts
from ..services.site_domains import normalise
from .output import Refused

#: The largest id the store's integer columns hold.
MAX_ID = 2**31 - 1


def _by_id(model: Any, word: str) -> Any:
    if word.isdigit() and 0 < int(word) <= MAX_ID:
        return db.session.get(model, int(word))
    return None


def _by_context(model: Any, word: str) -> Any:
    if not word.startswith("@"):
        return None
    found = contexts.entity_for(word)
    return found if isinstance(found, model) else None


def _unknown(kind: str, word: str, plural: str) -> Refused:
    return Refused(f"There is no {kind} {word!r}; `hostmaster {kind} list` shows the {plural}.")


def site(word: str) -> Site:
    """The site named by its domain, id or context name."""
    found = _by_context(Site, word) or _by_id(Site, word)
    if found is None:
        uri = normalise(word)
        found = db.session.scalar(
            select(Site).where(Site.uri == uri)
            # the live site of the domain first, then the newest deleted one
            .order_by((Site.status == SiteStatus.DELETED).asc(), Site.id.desc()).limit(1))
    if found is None:
        raise _unknown("site", word, "sites")
    return found


def platform(word: str) -> Platform:
    """The platform named by its name, id or context name."""
    found = _by_context(Platform, word) or db.session.scalar(
        select(Platform).where(Platform.name == word.strip())) or _by_id(Platform, word)
    if found is None:
        raise _unknown("platform", word, "platforms")
    return found


def server(word: str) -> Server:
    """The server named by its host name, id or context name."""
    found = _by_context(Server, word) or db.session.scalar(
        select(Server).where(Server.hostname == word.strip())) or _by_id(Server, word)
    if found is None:
        raise _unknown("server", word, "servers")
    return found


def client(word: str) -> Client:
    """The client named by its short name, name or id."""
    text = word.strip()
    found = (db.session.scalar(select(Client).where(Client.uname == text))
             or db.session.scalar(select(Client).where(Client.name == text).limit(1))
             or _by_id(Client, text))
    if found is None:
        raise _unknown("client", word, "clients")
    return found


def user(word: str) -> User:
    """The account named by its user name or id."""
    found = db.session.scalar(select(User).where(User.username == word.strip())) or _by_id(
        User, word)
    if found is None:
        raise _unknown("user", word, "accounts")
    return found


def task(word: str) -> Task:
    """The task with this id (``#12`` is accepted too)."""
    found = _by_id(Task, word.strip().lstrip("#"))
    if found is None:
        raise _unknown("task", word, "newest tasks")
    return found


def backup(of_site: Site, word: str) -> SiteBackup:
    """A backup of ``of_site`` by its id or its file name."""
    from ..services.site_moves import backups_of

    for found in backups_of(of_site):
        if str(found.id) == word.strip() or found.filename.rsplit("/", 1)[-1] == word.strip():
            return found
    raise Refused(f"{of_site.uri} has no backup {word!r}; `hostmaster backup list "
                  f"{of_site.uri}` shows its backups.")
