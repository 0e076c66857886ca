"""Servers: register one with its services, and list them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from .. import plugins
from ..extensions import db
from ..models import SERVICE_TYPES, Server, ServerIP, ServerService, ServerStatus, User
from . import contexts, tasks
from .errors import ValidationError
from .validation import check_hostname, check_ip_address


@dataclass
class ServiceSpec:
    """What a form or the CLI says about one service of a server.

    Empty values mean "provision's default" (docs/protocol.md lists them).
    """

    type: str = "null"
    port: int | None = None
    restart_cmd: str = ""
    db_user: str = ""
    db_password: str = ""
    options: dict[str, Any] = field(default_factory=dict)


def check_services(services: dict[str, ServiceSpec]) -> dict[str, list[str]]:
    """Field errors of a server's services (empty when they are fine)."""
    errors: dict[str, list[str]] = {}
    for name, spec in services.items():
        if name not in SERVICE_TYPES:
            errors.setdefault(name, []).append(f"There is no '{name}' service.")
            continue
        if spec.type not in SERVICE_TYPES[name]:
            choices = ", ".join(SERVICE_TYPES[name])
            errors.setdefault(name, []).append(
                f"'{spec.type}' is not a {name} service type; choose one of {choices}."
            )
        if spec.port is not None and not 0 < spec.port < 65536:
            errors.setdefault(name, []).append("A port is a number from 1 to 65535.")
        if "\n" in spec.restart_cmd or "\r" in spec.restart_cmd:
            errors.setdefault(name, []).append("A command is a single line.")
        if name == "db" and spec.type == "mysql" and not spec.db_user:
            errors.setdefault(name, []).append(
                "Enter the database server's admin user (one that may create databases and "
                "grant privileges)."
            )
    return errors


def create_server(
    hostname: str,
    *,
    human_name: str = "",
    ip_addresses: list[str] | tuple[str, ...] = (),
    services: dict[str, ServiceSpec] | None = None,
    master: bool = False,
    plugin_fields: dict[str, str] | None = None,
    user: User | None = None,
) -> Server:
    """Register a server, give it its context name and queue its verify.

    Raises ValidationError, having written nothing, on bad input.
    """
    hostname = hostname.strip()
    services = services or {}
    errors: dict[str, list[str]] = {}
    problem = check_hostname(hostname)
    if problem:
        errors["hostname"] = [problem]
    elif db.session.scalar(select(Server.id).where(Server.hostname == hostname)) is not None:
        errors["hostname"] = [f"A server called {hostname} already exists."]
    bad_ips = [p for p in (check_ip_address(ip) for ip in ip_addresses) if p]
    if bad_ips:
        errors["ip_addresses"] = bad_ips
    errors.update(check_services(services))
    errors.update(plugins.check_field_values("server", plugin_fields or {}))
    if master and contexts.master_server() is not None:
        errors.setdefault("hostname", []).append("There is already a master server.")
    if errors:
        raise ValidationError(errors)

    server = Server(hostname=hostname, human_name=human_name.strip(), status=ServerStatus.QUEUED,
                    plugin_fields=plugin_fields or {})
    server.ip_addresses = [ServerIP(address=ip) for ip in dict.fromkeys(ip_addresses)]
    server.services = [
        service_row(name, spec) for name, spec in services.items() if spec.type != "null"
    ]
    db.session.add(server)
    try:
        db.session.flush()
        contexts.register(server, contexts.suggested_name(server, master=master))
        tasks.queue(server, "verify", user=user, commit=False)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return server


def service_row(name: str, spec: ServiceSpec) -> ServerService:
    """The stored row for a service spec."""
    return ServerService(
        service=name,
        type=spec.type,
        port=spec.port,
        restart_cmd=spec.restart_cmd.strip(),
        db_user=spec.db_user.strip(),
        db_password=spec.db_password,
        options={k: v for k, v in spec.options.items() if v not in (None, "")},
    )


def list_servers() -> list[Server]:
    """Servers that are not deleted, by host name."""
    return list(
        db.session.scalars(
            select(Server).where(Server.status != ServerStatus.DELETED).order_by(Server.hostname)
        )
    )


def web_servers() -> list[Server]:
    """Servers with a web (http) service, for the platform form."""
    return [s for s in list_servers() if s.service_type("http") != "null"]
