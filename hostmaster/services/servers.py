"""Servers: register one with its services, and list them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from .. import plugins
from ..extensions import db
from ..models import SERVICE_TYPES, Server, ServerIP, ServerService, ServerStatus, User
from . import contexts, tasks
from .errors import ValidationError
from .transaction import transaction
from .validation import (
    check_absolute_path,
    check_hostname,
    check_ip_address,
    check_text,
    normalised,
    rules,
)


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


#: The rule of each service option the server form sets, with what the message calls it;
#: the same rules provision applies to these properties (provision.validation).
OPTION_RULES: dict[str, tuple[Callable[..., object], str]] = {
    "http_configtest_cmd": (rules.command, "config test command"),
    "http_include_dir": (rules.absolute_path, "include folder"),
    "php_fpm_socket": (rules.absolute_path, "php-fpm socket"),
    "web_group": (rules.system_user, "web group"),
    "http_reload_settle": (rules.seconds, "reload settle time"),
    "db_host": (rules.host, "database host"),
    "db_socket": (rules.absolute_path, "unix socket"),
}


def check_services(services: dict[str, ServiceSpec]) -> dict[str, list[str]]:
    """Field errors of a server's services (empty when they are fine), by form field."""
    errors: dict[str, list[str]] = {}
    for name, spec in services.items():
        if name not in SERVICE_TYPES:
            errors.setdefault(name, []).append(f"There is no '{name}' service.")
            continue
        if spec.type not in SERVICE_TYPES[name]:
            choices = ", ".join(SERVICE_TYPES[name])
            errors.setdefault(name, []).append(
                f"'{rules.shown(spec.type)[1:-1]}' is not a {name} service type; choose one "
                f"of {choices}."
            )
        if spec.port is not None and rules.problem(rules.port, spec.port):
            errors.setdefault(f"{name}_port", []).append("A port is a number from 1 to 65535.")
        if spec.restart_cmd.strip():
            problem = rules.problem(rules.command, spec.restart_cmd, "restart command")
            if problem:
                errors.setdefault(f"{name}_restart_cmd", []).append(problem)
        for option, value in spec.options.items():
            rule, what = OPTION_RULES.get(option, (rules.text, option))
            problem = rules.problem(rule, value, what) if str(value or "").strip() else None
            if problem:
                errors.setdefault(option, []).append(problem)
        if str(spec.options.get("php_fpm_socket") or "").strip() and spec.type != "nginx":
            errors.setdefault("php_fpm_socket", []).append(
                "A php-fpm socket is for an nginx web service; Apache runs PHP itself (mod_php).")
        if name == "db" and spec.type == "mysql":
            if not spec.db_user:
                errors.setdefault("db_user", []).append(
                    "Enter the database server's admin user (one that may create databases "
                    "and grant privileges)."
                )
            elif problem := rules.problem(rules.database_user, spec.db_user, "admin user"):
                errors.setdefault("db_user", []).append(problem)
            if rules.problem(rules.text, spec.db_password, "password", max_length=255):
                errors.setdefault("db_password", []).append(
                    "A password is one line of at most 255 printable characters.")
    return errors


@dataclass
class SshSpec:
    """How provision logs in to a remote server; empty values keep provision's defaults (the
    dispatcher user's name and keys, port 22)."""

    user: str = ""
    port: int | None = None
    key_file: str = ""


def check_ssh(ssh: SshSpec) -> dict[str, list[str]]:
    """Field errors of a server's SSH settings (empty when they are fine)."""
    errors: dict[str, list[str]] = {}
    if ssh.user.strip():
        problem = rules.problem(rules.system_user, ssh.user.strip(), "SSH user")
        if problem:
            errors["ssh_user"] = [problem]
    if ssh.port is not None and rules.problem(rules.port, ssh.port):
        errors["ssh_port"] = ["A port is a number from 1 to 65535."]
    if ssh.key_file.strip():
        problem = check_absolute_path(ssh.key_file.strip(), "SSH key file")
        if problem:
            errors["ssh_key_file"] = [problem]
    return errors


def create_server(
    hostname: str,
    *,
    human_name: str = "",
    ip_addresses: list[str] | tuple[str, ...] = (),
    services: dict[str, ServiceSpec] | None = None,
    master: bool = False,
    plugin_fields: dict[str, str] | None = None,
    ssh: SshSpec | None = None,
    user: User | None = None,
) -> Server:
    """Register a server, give it its context name and queue its verify.

    Raises ValidationError, having written nothing, on bad input.
    """
    hostname = normalised(rules.hostname, hostname.strip())
    human_name = human_name.strip()
    services = services or {}
    ssh = ssh or SshSpec()
    errors: dict[str, list[str]] = {}
    problem = check_hostname(hostname)
    if problem:
        errors["hostname"] = [problem]
    elif db.session.scalar(select(Server.id).where(Server.hostname == hostname)) is not None:
        errors["hostname"] = [f"A server called {hostname} already exists."]
    errors.update(check_settings(human_name, ip_addresses, services, ssh, plugin_fields or {}))
    if master and contexts.master_server() is not None:
        errors.setdefault("hostname", []).append("There is already a master server.")
    if errors:
        raise ValidationError(errors)

    addresses = unique_addresses(ip_addresses)
    with transaction(f"A server called {hostname} was added by another request a moment ago.",
                     field="hostname"):
        server = Server(hostname=hostname, human_name=human_name, status=ServerStatus.QUEUED,
                        plugin_fields=plugin_fields or {}, ssh_user=ssh.user.strip(),
                        ssh_port=ssh.port, ssh_key_file=ssh.key_file.strip())
        server.ip_addresses = [ServerIP(address=ip) for ip in addresses]
        server.services = [
            service_row(name, spec) for name, spec in services.items() if spec.type != "null"
        ]
        db.session.add(server)
        db.session.flush()
        contexts.register(server, contexts.suggested_name(server, master=master))
        tasks.queue(server, "verify", user=user, commit=False)
    return server


def check_settings(human_name: str, ip_addresses: list[str] | tuple[str, ...],
                   services: dict[str, ServiceSpec], ssh: SshSpec,
                   plugin_fields: dict[str, str]) -> dict[str, list[str]]:
    """Field errors of what a server's form, ``server add|edit`` or the API give for it, but
    its host name (empty when all are fine)."""
    errors: dict[str, list[str]] = {}
    problem = check_text(human_name, "human-readable name", 255)
    if problem:
        errors["human_name"] = [problem]
    bad_ips = [p for p in (check_ip_address(ip) for ip in ip_addresses) if p]
    if bad_ips:
        errors["ip_addresses"] = bad_ips
    errors.update(check_services(services))
    errors.update(check_ssh(ssh))
    errors.update(plugins.check_field_values("server", plugin_fields))
    return errors


def unique_addresses(ip_addresses: list[str] | tuple[str, ...]) -> list[str]:
    """Checked IP addresses in their normal form, each once, in the order given."""
    return list(dict.fromkeys(rules.ip_address(ip) for ip in ip_addresses))


def service_row(name: str, spec: ServiceSpec) -> ServerService:
    """The stored row for a checked service spec."""
    row = ServerService(service=name)
    fill_service(row, spec)
    return row


def fill_service(row: ServerService, spec: ServiceSpec) -> None:
    """Put a checked service spec into its row, its options as provision stores them (a host
    name in lower case, a folder without its trailing slash); an empty password keeps the
    stored one (the original's rule on a server's edit form)."""
    options = {key: value for key, value in spec.options.items() if value not in (None, "")}
    for key, value in options.items():
        rule, _what = OPTION_RULES.get(key, (rules.text, key))
        options[key] = normalised(rule, value)
    row.type = spec.type
    row.port = spec.port
    row.restart_cmd = spec.restart_cmd.strip()
    row.db_user = spec.db_user.strip()
    if spec.db_password or not row.db_password_encrypted:
        row.db_password = spec.db_password
    row.options = options


def ssh_login(server: Server) -> str | None:
    """``user@address:port`` provision logs in to for ``server``; None for this machine."""
    from provision.ssh import is_this_machine

    address = server.ip_addresses[0].address if server.ip_addresses else server.hostname
    if is_this_machine(server.hostname) or is_this_machine(address):
        return None
    user = server.ssh_user or "(the dispatcher's user)"
    return f"{user}@{address}:{server.ssh_port or 22}"


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
