"""The API's view of each stored object: plain JSON values, never a secret.

Times are ISO 8601 in UTC with a ``Z``; statuses are lower-case words. Servers never show their
database password, tasks never their result (it may name internal paths), users never their
password hash. The ``hostmaster`` command line's ``--json`` prints the same objects.
"""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from pathlib import PurePath
from typing import Any

from ..models import Client, Platform, Server, Site, SiteBackup, SiteHttps, Task, TaskLog, User
from ..services import site_aliases, site_https
from ..services.server_edits import changes_of, field_values


def _time(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


@singledispatch
def as_dict(row: Any) -> dict[str, Any]:
    """The JSON object of ``row``."""
    raise TypeError(f"the API does not show {type(row).__name__}")


@as_dict.register
def _server(row: Server) -> dict[str, Any]:
    return {
        "id": row.id,
        "hostname": row.hostname,
        "human_name": row.human_name,
        "status": row.status.name.lower(),
        "ip_addresses": [ip.address for ip in row.ip_addresses],
        "services": [{"service": s.service, "type": s.type, "port": s.port}
                     for s in row.services],
        # Every field PATCH /servers/{id} changes, as it is now (never the password).
        "settings": {name: value for name, value in field_values(changes_of(row)).items()
                     if name not in ("human_name", "ip_addresses")},
        "verified_at": _time(row.verified_at),
    }


@as_dict.register
def _platform(row: Platform) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "root": row.root,
        "web_server_id": row.web_server_id,
        "status": row.status.name.lower(),
        "application": row.application,
        "version": row.version,
        "verified_at": _time(row.verified_at),
    }


@as_dict.register
def _site(row: Site) -> dict[str, Any]:
    return {
        "id": row.id,
        "uri": row.uri,
        "platform_id": row.platform_id,
        "client_id": row.client_id,
        "db_server_id": row.db_server_id,
        "profile": row.profile,
        "language": row.language,
        "status": row.status.name.lower(),
        "aliases": site_aliases.served(row),
        "redirect_aliases": site_aliases.redirected(row),
        "automatic_aliases": site_aliases.automatic(row),
        "created_at": _time(row.created_at),
        "verified_at": _time(row.verified_at),
        "last_cron_at": _time(row.last_cron_at),
        "https": https_dict(site_https.https_of(row)),
    }


def https_dict(row: SiteHttps) -> dict[str, Any]:
    """A site's HTTPS and the certificate it serves."""
    return {"https": row.mode, "hsts": row.hsts,
            "certificate_expires_at": _time(row.expires_at),
            "certificate_issuer": row.issuer, "certificate_self_signed": row.self_signed,
            "renewal_error": row.error}


@as_dict.register
def _client(row: Client) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "organisation": row.organisation,
            "email": row.email, "uname": row.uname}


@as_dict.register
def _task(row: Task) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "entity_kind": row.entity_kind,
        "entity_id": row.entity_id,
        "status": row.status.name.lower(),
        "arguments": row.arguments or {},
        "created_at": _time(row.created_at),
        "started_at": _time(row.started_at),
        "finished_at": _time(row.finished_at),
    }


@as_dict.register
def _log_line(row: TaskLog) -> dict[str, Any]:
    return {"id": row.id, "level": row.level, "message": row.message,
            "time": _time(row.created_at)}


@as_dict.register
def _backup(row: SiteBackup) -> dict[str, Any]:
    return {"id": row.id, "site_id": row.site_id, "file": PurePath(row.filename).name,
            "size": row.size, "description": row.description,
            "created_at": _time(row.created_at)}


@as_dict.register
def _user(row: User) -> dict[str, Any]:
    return {"id": row.id, "username": row.username, "email": row.email,
            "roles": sorted(role.name for role in row.roles), "active": row.active,
            "created_at": _time(row.created_at), "last_login_at": _time(row.last_login_at)}
