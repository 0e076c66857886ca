"""``hostmaster server``: list, show and add servers, and every server task (verify, and
trust-key: record a remote server's new SSH host key after checking its fingerprint)."""

from __future__ import annotations

import os

import click

from ..api.serialize import as_dict
from ..services import contexts, servers, tasks
from ..services.errors import ValidationError
from ..services.servers import ServiceSpec, SshSpec
from ..ui import format_time
from . import lookup
from .follow import answer_created, wait_options
from .options import field_option, plugin_values, refused
from .output import emit, fields, listing, output_options, table
from .task_commands import EntityGroup, offered_tasks

server_cli = EntityGroup("server", "server", help="Servers: list, show, add, and their tasks.")

SERVER_FLAGS = {"hostname": "HOSTNAME", "ip_addresses": "--ip", "http": "--http", "db": "--db",
                "ssh_user": "--ssh-user", "ssh_port": "--ssh-port",
                "ssh_key_file": "--ssh-key-file"}


@server_cli.command("list")
@output_options
def server_list() -> None:
    """List the servers that are not deleted, with their services."""
    rows = servers.list_servers()
    emit(listing([as_dict(row) for row in rows], len(rows), len(rows), 0), [
        *table(["ID", "HOSTNAME", "STATUS", "WEB", "DATABASE", "REACHED AS", "VERIFIED"],
               [[s.id, s.hostname, s.status.name.lower(), s.service_type("http"),
                 s.service_type("db"), servers.ssh_login(s) or "this machine",
                 format_time(s.verified_at)] for s in rows]),
        f"{len(rows)} server(s).",
    ])


@server_cli.command("show")
@click.argument("server_word", metavar="SERVER")
@output_options
def server_show(server_word: str) -> None:
    """A server's settings (never its database password) and the tasks it offers now."""
    server = lookup.server(server_word)
    details: list[tuple[str, object]] = [
        ("id", server.id), ("hostname", server.hostname), ("name", server.human_name),
        ("status", server.status.name.lower()),
        ("context", contexts.name_or_none(server) or "none"),
        ("addresses", ", ".join(ip.address for ip in server.ip_addresses) or "none"),
        ("reached as", servers.ssh_login(server) or "this machine"),
    ]
    details += [(f"{service.service} service",
                 f"{service.type}" + (f" on port {service.port}" if service.port else ""))
                for service in server.services]
    details.append(("verified", format_time(server.verified_at)))
    emit(as_dict(server), [*fields(details), "", *offered_tasks(server)])


@server_cli.command("add")
@click.argument("hostname")
@click.option("--human-name", default="")
@click.option("--ip", "ips", multiple=True, help="An IP address of the server (repeatable).")
@click.option("--http", "http_type", type=click.Choice(["apache", "nginx", "null"]), default="null")
@click.option("--http-port", type=int)
@click.option("--http-restart-cmd", default="")
@click.option("--http-configtest-cmd", default="")
@click.option("--http-include-dir", default="")
@click.option("--php-fpm-socket", default="",
              help="nginx only: the php-fpm pool's unix socket (default /run/php/php8.2-fpm.sock).")
@click.option("--db", "db_type", type=click.Choice(["mysql", "null"]), default="null")
@click.option("--db-host", default="")
@click.option("--db-port", type=int)
@click.option("--db-socket", default="")
@click.option("--db-user", default="")
@click.option("--ssh-user", default="", help="A remote server's SSH user (default: yours).")
@click.option("--ssh-port", type=int, help="A remote server's SSH port (default: 22).")
@click.option("--ssh-key-file", default="", help="The private key provision logs in with.")
@click.option("--master", is_flag=True, help="Register it as @server_master.")
@field_option
@wait_options
@output_options
def server_add(hostname: str, human_name: str, ips: tuple[str, ...], http_type: str,
               http_port: int | None, http_restart_cmd: str, http_configtest_cmd: str,
               http_include_dir: str, php_fpm_socket: str, db_type: str, db_host: str,
               db_port: int | None, db_socket: str, db_user: str, ssh_user: str,
               ssh_port: int | None, ssh_key_file: str, master: bool,
               plugin_fields: tuple[str, ...], wait: bool, dispatch: bool) -> None:
    """Register a server and queue its verify.

    The database admin password is read from the environment variable HOSTMASTER_DB_PASSWORD
    or asked for, never taken from the command line.
    """
    db_password = ""
    if db_type == "mysql":
        db_password = os.environ.get("HOSTMASTER_DB_PASSWORD") or click.prompt(
            "Database admin password", hide_input=True, err=True)
    services = {
        "http": ServiceSpec(http_type, http_port, http_restart_cmd, options={
            "http_configtest_cmd": http_configtest_cmd, "http_include_dir": http_include_dir,
            "php_fpm_socket": php_fpm_socket}),
        "db": ServiceSpec(db_type, db_port, db_user=db_user, db_password=db_password,
                          options={"db_host": db_host, "db_socket": db_socket}),
    }
    try:
        server = servers.create_server(
            hostname, human_name=human_name, ip_addresses=list(ips), services=services,
            ssh=SshSpec(ssh_user, ssh_port, ssh_key_file), master=master,
            plugin_fields=plugin_values(plugin_fields))
    except ValidationError as error:
        raise refused(error, SERVER_FLAGS) from None
    answer_created("server", server, f"Server {server.hostname} added (id {server.id})",
                   tasks.pending_task(server, "verify"), wait=wait, dispatch=dispatch)
