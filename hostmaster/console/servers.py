"""``hostmaster server``: list, show, add and edit servers, and every server task (verify, and
trust-key: record a remote server's new SSH host key after checking its fingerprint)."""

from __future__ import annotations

import os
from typing import Any

import click

from ..api.serialize import as_dict
from ..services import contexts, server_edits, servers, tasks
from ..services.errors import ValidationError
from ..services.server_edits import ServerChanges, with_changes
from ..ui import format_time
from . import lookup
from .follow import answer_created, wait_options
from .options import field_option, plugin_values, refused
from .output import F, emit, fields, listing, output_options, table
from .task_commands import EntityGroup, offered_tasks

server_cli = EntityGroup("server", "server",
                         help="Servers: list, show, add, edit, and their tasks.")


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
    # The settings `server edit` changes, by their option (the password never).
    changed = server_edits.field_values(server_edits.changes_of(server))
    details += [(flag.lstrip("-"), changed[name]) for name, (flag, _) in SETTING_OPTIONS.items()
                if changed.get(name) not in (None, "", "null") and name != "human_name"]
    details.append(("verified", format_time(server.verified_at)))
    emit(as_dict(server), [*fields(details), "", *offered_tasks(server)])


#: The options ``server add`` and ``server edit`` share, by the field they set
#: (hostmaster/services/server_edits.py), with their click settings.
SETTING_OPTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "human_name": ("--human-name", {}),
    "http_type": ("--http", {"type": click.Choice(["apache", "nginx", "null"]),
                             "help": "The web service (null: none)."}),
    "http_port": ("--http-port", {"type": int}),
    "http_restart_cmd": ("--http-restart-cmd", {}),
    "http_configtest_cmd": ("--http-configtest-cmd", {}),
    "http_include_dir": ("--http-include-dir", {}),
    "web_group": ("--web-group", {"help": "The group the web server runs as (default "
                                          "www-data)."}),
    "http_reload_settle": ("--http-reload-settle", {
        "metavar": "SECONDS", "help": "How long a configuration change waits after the "
        "previous reload (default 1 for Apache, 0 for nginx)."}),
    "php_fpm_socket": ("--php-fpm-socket", {"help": "nginx only: the php-fpm pool's unix "
                                                    "socket (default /run/php/php8.2-fpm.sock)."}),
    "db_type": ("--db", {"type": click.Choice(["mysql", "null"]),
                         "help": "The database service (null: none)."}),
    "db_host": ("--db-host", {}),
    "db_port": ("--db-port", {"type": int}),
    "db_socket": ("--db-socket", {}),
    "db_user": ("--db-user", {}),
    "ssh_user": ("--ssh-user", {"help": "A remote server's SSH user (default: yours)."}),
    "ssh_port": ("--ssh-port", {"type": int, "help": "A remote server's SSH port (default: "
                                                     "22)."}),
    "ssh_key_file": ("--ssh-key-file", {"help": "The private key provision logs in with."}),
}
SERVER_FLAGS = {"hostname": "HOSTNAME", "ip_addresses": "--ip", "http": "--http", "db": "--db",
                **{name: flag for name, (flag, _) in SETTING_OPTIONS.items()}}
PASSWORD_VARIABLE = "HOSTMASTER_DB_PASSWORD"


def setting_options(function: F) -> F:
    """The options of a server's settings, and ``--ip`` (repeatable)."""
    for name, (flag, settings) in reversed(SETTING_OPTIONS.items()):
        function = click.option(flag, name, default=None, **settings)(function)
    return click.option(
        "--ip", "ip_addresses", multiple=True,
        help="An IP address of the server (repeatable; given on edit, the list replaces the "
             "stored one, and --ip '' empties it).")(function)


def _changes(base: ServerChanges, options: dict[str, Any], ask_password: bool) -> ServerChanges:
    """``base`` with the options given; the database admin password is read from
    HOSTMASTER_DB_PASSWORD or asked for when ``ask_password`` or when a MySQL service is new,
    never taken from the command line."""
    values = {name: options[name] for name in SETTING_OPTIONS if options[name] is not None}
    if options["ip_addresses"]:
        values["ip_addresses"] = list(options["ip_addresses"])
    try:
        changes = with_changes(base, values)
    except ValidationError as error:
        raise refused(error, SERVER_FLAGS) from None
    if changes.services["db"].type == "mysql" and (
            ask_password or base.services["db"].type != "mysql"):
        changes.services["db"].db_password = os.environ.get(PASSWORD_VARIABLE) or click.prompt(
            "Database admin password", hide_input=True, err=True)
    return changes


@server_cli.command("add")
@click.argument("hostname")
@setting_options
@click.option("--master", is_flag=True, help="Register it as @server_master.")
@field_option
@wait_options
@output_options
def server_add(hostname: str, master: bool, plugin_fields: tuple[str, ...], wait: bool,
               dispatch: bool, **options: Any) -> None:
    """Register a server and queue its verify.

    The database admin password is read from the environment variable HOSTMASTER_DB_PASSWORD
    or asked for, never taken from the command line.
    """
    changes = _changes(ServerChanges(), options, ask_password=False)
    try:
        server = servers.create_server(
            hostname, human_name=changes.human_name, ip_addresses=changes.ip_addresses,
            services=changes.services, ssh=changes.ssh, master=master,
            plugin_fields=plugin_values(plugin_fields))
    except ValidationError as error:
        raise refused(error, SERVER_FLAGS) from None
    answer_created("server", server, f"Server {server.hostname} added (id {server.id})",
                   tasks.pending_task(server, "verify"), wait=wait, dispatch=dispatch)


@server_cli.command("edit")
@click.argument("server_word", metavar="SERVER")
@setting_options
@click.option("--db-password", "new_db_password", is_flag=True,
              help="Change the database admin password: read from HOSTMASTER_DB_PASSWORD or "
                   "asked for.")
@field_option
@wait_options
@output_options
def server_edit(server_word: str, new_db_password: bool, plugin_fields: tuple[str, ...],
                wait: bool, dispatch: bool, **options: Any) -> None:
    """Change a server's settings (those given; an empty value puts back the default, a port
    of 0 too) and queue its verify. Its host name stays: its context name is made from it."""
    server = lookup.server(server_word)
    changes = _changes(server_edits.changes_of(server), options, ask_password=new_db_password)
    try:
        server_edits.update_server(server, changes, plugin_fields=plugin_values(plugin_fields))
    except ValidationError as error:
        raise refused(error, SERVER_FLAGS) from None
    answer_created("server", server, f"Server {server.hostname} saved",
                   tasks.pending_task(server, "verify"), wait=wait, dispatch=dispatch)
