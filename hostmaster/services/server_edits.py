"""Changing a server after it is added: its name, addresses, services and SSH settings, as the
edit form, ``hostmaster server edit`` and the API's PATCH give them (one set of field names
for all three). Its host name stays: its context name is made from it. Saving queues a verify,
as any save of a server does in the original.

A service's type may change only while nothing uses it: the platforms on a web server and the
sites whose database a server holds keep their files and databases in that service.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import (
    SERVICE_TYPES,
    Platform,
    PlatformStatus,
    Server,
    ServerIP,
    ServerStatus,
    Site,
    SiteStatus,
    User,
)
from . import tasks
from .errors import ValidationError
from .servers import (
    ServiceSpec,
    SshSpec,
    check_settings,
    fill_service,
    service_row,
    unique_addresses,
)
from .transaction import transaction

#: The options of each service that the fields below set, by service.
SERVICE_OPTIONS = {
    "http": ("http_configtest_cmd", "http_include_dir", "web_group", "http_reload_settle",
             "php_fpm_socket"),
    "db": ("db_host", "db_socket"),
}
PORT_FIELDS = ("http_port", "db_port", "ssh_port")
TEXT_FIELDS = ("human_name", "http_type", "http_restart_cmd", "db_type", "db_user",
               "db_password", "ssh_user", "ssh_key_file",
               *(name for names in SERVICE_OPTIONS.values() for name in names))
#: Every field of a server that may change, as forms, the CLI and the API name it.
FIELDS = ("ip_addresses", *TEXT_FIELDS, *PORT_FIELDS)
#: How many names a sentence about what uses a server lists.
NAMES_SHOWN = 5


@dataclass
class ServerChanges:
    """Everything about a server but its host name, as it should be after a save."""

    human_name: str = ""
    ip_addresses: list[str] = field(default_factory=list)
    services: dict[str, ServiceSpec] = field(
        default_factory=lambda: {name: ServiceSpec() for name in SERVICE_TYPES})
    ssh: SshSpec = field(default_factory=SshSpec)


def changes_of(server: Server) -> ServerChanges:
    """A server's settings as they are (its database password left out: empty keeps it)."""
    services = {}
    for name in SERVICE_TYPES:
        row = server.service(name)
        services[name] = ServiceSpec() if row is None else ServiceSpec(
            row.type, row.port, row.restart_cmd, row.db_user, "", dict(row.options or {}))
    return ServerChanges(server.human_name, [ip.address for ip in server.ip_addresses],
                         services, SshSpec(server.ssh_user, server.ssh_port, server.ssh_key_file))


def field_values(changes: ServerChanges) -> dict[str, Any]:
    """``changes`` by field name (what an edit form starts from)."""
    http, database = changes.services["http"], changes.services["db"]
    values: dict[str, Any] = {
        "human_name": changes.human_name, "ip_addresses": list(changes.ip_addresses),
        "http_type": http.type, "http_port": http.port, "http_restart_cmd": http.restart_cmd,
        "db_type": database.type, "db_port": database.port, "db_user": database.db_user,
        "ssh_user": changes.ssh.user, "ssh_port": changes.ssh.port,
        "ssh_key_file": changes.ssh.key_file,
    }
    for service, names in SERVICE_OPTIONS.items():
        values.update({name: changes.services[service].options.get(name, "") for name in names})
    return values


def with_changes(base: ServerChanges, values: Mapping[str, Any]) -> ServerChanges:
    """``base`` with ``values`` (by field name) put in: None or "" (a port: also 0) puts back
    provision's default, and a password left empty keeps the stored one. A ValidationError
    names each unknown field and each value of the wrong type; the values themselves are
    checked when the server is saved."""
    changes = copy.deepcopy(base)
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        problem = _type_problem(name, value)
        if problem:
            errors[name] = [problem]
        else:
            _put(changes, name, value)
    if errors:
        raise ValidationError(errors)
    for name, spec in changes.services.items():
        if spec.type == "null":  # a service the server does not run has no settings
            changes.services[name] = ServiceSpec()
    return changes


def _type_problem(name: str, value: Any) -> str | None:
    if name == "hostname":
        return "A server's host name does not change: its context name is made from it."
    if name not in FIELDS:
        return f"A server has no field {name!r}; the fields are {', '.join(sorted(FIELDS))}."
    if value is None:
        return None
    if name == "ip_addresses":
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return None
        return "ip_addresses is a list of IP addresses."
    if name in PORT_FIELDS:
        if value == "" or (isinstance(value, int) and not isinstance(value, bool)):
            return None
        return f"{name} is a port: a number from 1 to 65535."
    if name == "http_reload_settle" and isinstance(value, int | float) and not isinstance(
            value, bool):
        return None
    return None if isinstance(value, str) else f"{name} is a text."


def _put(changes: ServerChanges, name: str, value: Any) -> None:
    """Set field ``name`` of ``changes`` to a value of the right type."""
    if name == "ip_addresses":
        changes.ip_addresses = [ip.strip() for ip in value or [] if ip.strip()]
    elif name == "human_name":
        changes.human_name = str(value or "").strip()
    elif name.startswith("ssh_"):
        attribute = name.removeprefix("ssh_")
        setattr(changes.ssh, attribute, (value or None) if name in PORT_FIELDS else value or "")
    elif option_of := next((s for s, names in SERVICE_OPTIONS.items() if name in names), None):
        changes.services[option_of].options[name] = "" if value is None else value
    else:
        service, _, setting = name.partition("_")
        spec = changes.services[service]
        if setting == "type":
            spec.type = str(value or "null").strip().lower()
        elif setting == "port":
            spec.port = value or None
        else:  # http_restart_cmd, db_user, db_password
            setattr(spec, {"user": "db_user", "password": "db_password"}.get(setting, setting),
                    value or "")


def uses_of(server: Server, service: str | None = None) -> list[str]:
    """What uses ``server`` (its ``service`` only, when given), as phrases for a sentence:
    the platforms it serves and the sites whose database it holds."""
    found = []
    if service in (None, "http"):
        platforms = list(db.session.scalars(select(Platform.name).where(
            Platform.web_server_id == server.id, Platform.status != PlatformStatus.DELETED
        ).order_by(Platform.name)))
        if platforms:
            verb = "are" if len(platforms) > 1 else "is"
            found.append(f"{_listed('platform', platforms)} {verb} on it as web server")
    if service in (None, "db"):
        uris = list(db.session.scalars(select(Site.uri).where(
            Site.db_server_id == server.id, Site.status != SiteStatus.DELETED
        ).order_by(Site.uri)))
        if uris:
            keep = "keep their databases" if len(uris) > 1 else "keeps its database"
            found.append(f"{_listed('site', uris)} {keep} on it")
    return found


def _listed(noun: str, names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
    return f"the {noun}{'s' if len(names) > 1 else ''} {shown}{more}"


def update_server(server: Server, changes: ServerChanges, *,
                  plugin_fields: dict[str, str] | None = None, user: User | None = None) -> Server:
    """Save ``changes`` to ``server`` and queue its verify (unless one is pending, which will
    send the new values). Raises ValidationError, having written nothing, on bad input."""
    errors = check_settings(changes.human_name, changes.ip_addresses, changes.services,
                            changes.ssh, plugin_fields or {})
    if server.status == ServerStatus.DELETED:
        errors.setdefault("", []).append(f"{server.hostname} is deleted; it can no longer change.")
    elif tasks.pending_task(server, "delete") is not None:
        errors.setdefault("", []).append(
            f"{server.hostname} is being deleted; it can no longer change.")
    for name, spec in changes.services.items():
        if name in SERVICE_TYPES and spec.type != server.service_type(name):
            uses = uses_of(server, name)
            if uses:
                errors.setdefault(name, []).append(
                    f"The {name} service of {server.title} stays {server.service_type(name)} "
                    f"while {' and '.join(uses)}; migrate them to another server first.")
    if errors:
        raise ValidationError(errors)
    with transaction():
        server.human_name = changes.human_name
        kept = {ip.address: ip for ip in server.ip_addresses}
        server.ip_addresses = [kept.get(address) or ServerIP(address=address)
                               for address in unique_addresses(changes.ip_addresses)]
        for name, spec in changes.services.items():
            row = server.service(name)
            if spec.type == "null":
                if row is not None:
                    server.services.remove(row)
            elif row is None:
                server.services.append(service_row(name, spec))
            else:
                fill_service(row, spec)
        server.ssh_user = changes.ssh.user.strip()
        server.ssh_port = changes.ssh.port
        server.ssh_key_file = changes.ssh.key_file.strip()
        if plugin_fields:
            server.plugin_fields = {**(server.plugin_fields or {}), **plugin_fields}
        if tasks.why_unavailable(server, "verify") is None:
            tasks.queue(server, "verify", user=user, commit=False)
    return server
