"""Orphans: what provision made for a site, platform or backup that no record owns any more.

``provision @server orphans`` lists them for one server; ``provision @server orphan-remove
--orphan=ID`` removes one after finding it again (commands/orphans.py, orphan_remove.py).
Only the front end knows which records exist, so it sends them as the option ``known``
(below); provision refuses to list without it, rather than take everything for an orphan.

What is looked at, on the server the command runs on (locally or over SSH):

- ``database``, ``db_user``: on its mysql db service, the databases and users that look like a
  site's: a database with a user of the same name whose only grants are on that database (what
  install makes), or the database (or user) of a deleted site. System schemas, roles, accounts
  with any global privilege (the admin account, MariaDB's own) and the names in
  ``keep_databases``/``keep_db_users`` (the front end's own store) are never listed; neither is
  anything else, since nothing says it is a site's.
- ``site_folder``: folders named like a domain in the sites folder of each known platform, with
  no site of that platform for that domain (the master copy of every platform on the master;
  on a remote web server, its copies of the platforms it serves).
- ``vhost``, ``platform_config``: files in ``config/<server>/{apache,nginx}/vhost.d`` with no
  site served by this server, and in ``platform.d`` with no platform served by it.
- On ``@server_master`` only: ``context`` files with no record, and ``backup`` archives in
  ``<root>/backups`` with no backup record.

Never listed (``skipped`` instead): files changed in the last ten minutes or after the oldest
running task started (``busy_since``: they may be work in progress), anything named after a
site that has a queued or running task (``busy_uris``), and what
``reserved_by_running_commands`` names.

``known`` = ``{"sites": [{"uri", "db_name", "platform"}], "platforms": [{"name", "root",
"web_server"}], "contexts": ["@name", ...], "backups": [path, ...], "former_databases": [...],
"keep_databases": [...], "keep_db_users": [...], "busy_since": epoch seconds | null,
"busy_uris": [...]}``.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ProvisionError
from .layout import AegirRoot
from .transport import LocalTransport, Transport

if TYPE_CHECKING:
    from .contexts import Contexts
    from .contexts.model import ServerContext

MASTER = "@server_master"
#: Seconds of slack when comparing a file's time with ``busy_since`` (clocks, file systems).
BUSY_SLACK = 2.0
#: Files changed this recently are never listed, whatever the tasks: batch queues (scheduled
#: backups) and people at work make files without a task.
RECENT_SECONDS = 600.0
KIND_TITLES = {
    "database": "database",
    "db_user": "database user",
    "site_folder": "site folder",
    "vhost": "vhost",
    "platform_config": "platform configuration",
    "context": "context",
    "backup": "backup archive",
}
DOMAIN = re.compile(r"[a-z0-9][a-z0-9.-]*\.[a-z0-9-]+", re.IGNORECASE)
NOT_SITE_FOLDERS = frozenset({"all", "default"})
#: ``<uri>-YYYYMMDD.HHMMSS.tar.gz``, the archives backup makes.
BACKUP_NAME = re.compile(r"(.+)-\d{8}\.\d{6}")


def reserved_by_running_commands(root: Path) -> set[str]:
    """Names (paths, database names, context names) that running provision commands are
    creating or changing right now, so that they are never taken for orphans.

    They are read from the journals (``<root>/journal/``) of commands running or interrupted:
    database names reserved, paths and names their undo and cleanup lines name.
    """
    from .journal import claimed_names

    return claimed_names(root)


@dataclass(frozen=True)
class Orphan:
    """One thing no record owns: its kind, its name (a database or user name, a path, a
    context name) and a detail for people."""

    kind: str
    name: str
    detail: str = ""

    @property
    def id(self) -> str:
        """``kind:name``, what ``orphan-remove --orphan`` takes."""
        return f"{self.kind}:{self.name}"

    def as_dict(self) -> dict[str, str]:
        """The orphan in a command's result."""
        return {"id": self.id, "kind": self.kind, "title": KIND_TITLES[self.kind],
                "name": self.name, "detail": self.detail}


@dataclass
class Candidate:
    """A possible orphan, with what could tie it to a running task."""

    orphan: Orphan
    changed_at: float | None = None  # epoch seconds
    uri: str = ""
    busy: bool = False  # named as a busy site's database may be


@dataclass
class Owners:
    """What the front end's records own (the option ``known``) and what may be in the making."""

    sites: list[dict[str, str]] = field(default_factory=list)
    platforms: list[dict[str, str]] = field(default_factory=list)
    contexts: set[str] = field(default_factory=set)
    backups: set[str] = field(default_factory=set)
    former_databases: set[str] = field(default_factory=set)
    keep_databases: set[str] = field(default_factory=set)
    keep_db_users: set[str] = field(default_factory=set)
    busy_since: float | None = None
    busy_uris: set[str] = field(default_factory=set)
    reserved: set[str] = field(default_factory=set)

    @classmethod
    def from_options(cls, options: dict[str, Any], root: Path) -> Owners:
        """The ``known`` option (a JSON object, or its text from the command line)."""
        known = options.get("known")
        if isinstance(known, str):
            try:
                known = json.loads(known)
            except ValueError:
                known = None
        if not isinstance(known, dict):
            raise ProvisionError(
                "provision does not know which sites, platforms, contexts and backups the "
                "front end has records of, so it cannot tell an orphan: give them as --known "
                "(a JSON object, see provision/orphans.py), or run `hostmaster doctor`."
            )

        def names(key: str) -> set[str]:
            return {str(value) for value in known.get(key) or []}

        def rows(key: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
            return [{name: str(row.get(name) or "") for name in fields}
                    for row in known.get(key) or [] if isinstance(row, dict)]

        since = known.get("busy_since")
        return cls(
            sites=rows("sites", ("uri", "db_name", "platform")),
            platforms=rows("platforms", ("name", "root", "web_server")),
            contexts={"@" + name.lstrip("@") for name in names("contexts")},
            backups={os.path.normpath(path) for path in names("backups")},
            former_databases=names("former_databases"),
            keep_databases=names("keep_databases"),
            keep_db_users=names("keep_db_users"),
            busy_since=float(since) if isinstance(since, int | float) else None,
            busy_uris={uri.lower() for uri in names("busy_uris")},
            reserved=reserved_by_running_commands(root),
        )

    def busy_database_names(self) -> set[str]:
        """The names install, restore, migrate or clone may give the database of a busy site."""
        from .services.db.sites import candidate_names

        return {name for uri in self.busy_uris for name in candidate_names(uri)}

    def in_use(self, candidate: Candidate) -> bool:
        """Whether a running or queued task may be making ``candidate``."""
        if candidate.busy or candidate.orphan.name in self.reserved:
            return True
        if candidate.uri and candidate.uri.lower() in self.busy_uris:
            return True
        if candidate.changed_at is None:
            return False
        since = time.time() - RECENT_SECONDS
        if self.busy_since is not None:
            since = min(since, self.busy_since - BUSY_SLACK)
        return candidate.changed_at >= since


def find_orphans(server: ServerContext, contexts: Contexts, owners: Owners,
                 kinds: set[str] | None = None) -> tuple[list[Orphan], list[Orphan]]:
    """The orphans on ``server`` (of ``kinds``, default all), and those skipped as possibly
    in use by a running task; each list sorted by id."""
    wanted = kinds or set(KIND_TITLES)
    found: list[Orphan] = []
    skipped: list[Orphan] = []
    for candidate in _candidates(server, contexts, owners, wanted):
        if candidate.orphan.kind not in wanted:
            continue
        (skipped if owners.in_use(candidate) else found).append(candidate.orphan)
    return sorted(found, key=lambda o: o.id), sorted(skipped, key=lambda o: o.id)


def _candidates(server: ServerContext, contexts: Contexts, owners: Owners,
                wanted: set[str]) -> Iterator[Candidate]:
    if wanted & {"database", "db_user"} and server.service_type("db") == "mysql":
        from .services.db.mysql import MysqlService
        from .services.db.orphans import database_candidates

        service = server.service("db")
        if isinstance(service, MysqlService):
            yield from database_candidates(service, owners, contexts)
    if "site_folder" in wanted:
        yield from _site_folders(server, contexts, owners)
    if wanted & {"vhost", "platform_config"}:
        yield from _web_server_files(server, contexts, owners)
    if server.name == MASTER and wanted & {"context", "backup"}:
        yield from _contexts_and_backups(contexts, owners)


def entries(transport: Transport, folder: Path, kind: str) -> list[tuple[str, float]]:
    """The names and modification times (epoch seconds) of the files (``kind`` "f") or
    folders ("d") directly in ``folder`` on the server; none when it does not exist."""
    if not transport.exists(folder):
        return []
    listed = transport.run(["find", str(folder), "-mindepth", "1", "-maxdepth", "1",
                            "-type", kind, "-printf", r"%T@ %f\0"])
    found = []
    for item in listed.stdout.split("\0"):
        stamp, _, name = item.partition(" ")
        if name:
            found.append((name, float(stamp)))
    return found


def _site_folders(server: ServerContext, contexts: Contexts,
                  owners: Owners) -> Iterator[Candidate]:
    from .apps import detect
    from .plugins import app_drivers

    on_master = server.name == MASTER
    for platform in owners.platforms:
        if not (on_master or platform["web_server"] == server.name) or not platform["root"]:
            continue
        application = detect(Path(platform["root"]), app_drivers())
        if application is None:
            continue  # no codebase to look in (yet): nothing can be told
        transport: Transport = LocalTransport() if on_master else server.transport
        sites = {site["uri"].lower() for site in owners.sites
                 if site["platform"] == platform["name"]}
        for name, changed in entries(transport, application.sites_dir, "d"):
            if name in NOT_SITE_FOLDERS or not DOMAIN.fullmatch(name) or name.lower() in sites:
                continue
            path = application.sites_dir / name
            yield Candidate(Orphan("site_folder", str(path), f"on {platform['name']}"),
                            changed, name)


def _web_server_files(server: ServerContext, contexts: Contexts,
                      owners: Owners) -> Iterator[Candidate]:
    platforms = {p["name"] for p in owners.platforms if p["web_server"] == server.name}
    sites = {s["uri"].lower() for s in owners.sites if s["platform"] in platforms}
    platform_files = {f"{name.lstrip('@')}.conf" for name in platforms}
    config = AegirRoot(contexts.root).server_config(server.name)
    for web_server in ("apache", "nginx"):
        for name, changed in entries(server.transport, config / web_server / "vhost.d", "f"):
            if not name.startswith(".") and name.lower() not in sites:
                path = config / web_server / "vhost.d" / name
                yield Candidate(Orphan("vhost", str(path), f"{web_server}, on {server.name}"),
                                changed, name)
        folder = config / web_server / "platform.d"
        for name, changed in entries(server.transport, folder, "f"):
            if not name.startswith(".") and name not in platform_files:
                yield Candidate(Orphan("platform_config", str(folder / name),
                                       f"{web_server}, on {server.name}"), changed)


def _contexts_and_backups(contexts: Contexts, owners: Owners) -> Iterator[Candidate]:
    local = LocalTransport()
    for name, changed in entries(local, contexts.store.folder, "f"):
        if name.endswith(".json") and "@" + name.removesuffix(".json") not in owners.contexts:
            context = "@" + name.removesuffix(".json")
            yield Candidate(Orphan("context", context, str(contexts.store.folder / name)),
                            changed, context.lstrip("@"))
    folder = contexts.root / "backups"
    for name, changed in entries(local, folder, "f"):
        if os.path.normpath(folder / name) not in owners.backups:
            size = (folder / name).stat().st_size
            of_site = BACKUP_NAME.match(name)
            yield Candidate(Orphan("backup", str(folder / name), f"{size} bytes"), changed,
                            of_site.group(1) if of_site else "")
