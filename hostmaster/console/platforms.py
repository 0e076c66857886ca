"""``hostmaster platform``: list, show, add and edit platforms, migrate every site of one to
another, and every platform task (verify, lock, unlock, delete ...)."""

from __future__ import annotations

import click

from .. import access
from ..api.serialize import as_dict
from ..models import PlatformStatus, TaskStatus
from ..services import contexts, platform_migration, platforms, tasks
from ..services.errors import TaskNotAvailable, ValidationError
from ..ui import format_time
from . import lookup
from .follow import answer_created, ended, exit_as_it_ended, follow, wait_options
from .options import field_option, page, page_options, plugin_values, refused, require_feature
from .output import Refused, emit, fields, listing, output_options, table, warn
from .task_commands import EntityGroup, offered_tasks

platform_cli = EntityGroup("platform", "platform",
                           help="Platforms: list, show, add, edit, and their tasks.")

PLATFORM_FLAGS = {"name": "NAME", "root": "--root", "web_server": "--web-server",
                  "makefile": "--makefile"}


@platform_cli.command("list")
@click.option("--status", type=click.Choice([s.name.lower() for s in PlatformStatus]),
              help="Only platforms in this status (default: all but deleted).")
@click.option("--server", "server_word", metavar="SERVER", help="Only platforms it serves.")
@click.option("--search", default="", help="Only names containing this text.")
@page_options
@output_options
def platform_list(status: str | None, server_word: str | None, search: str, limit: int,
                  offset: int) -> None:
    """List platforms (as the Platforms page)."""
    args = {"status": status or "", "q": search}
    if server_word:
        args["server"] = str(lookup.server(server_word).id)
    query, _sorting = platforms.platform_list(args, viewer=access.COMMAND_LINE)
    rows, total = page(query, limit, offset)
    counts = platforms.site_counts(rows, viewer=access.COMMAND_LINE)
    emit(listing([as_dict(row) for row in rows], total, limit, offset), [
        *table(["ID", "NAME", "STATUS", "APPLICATION", "WEB SERVER", "SITES", "VERIFIED"],
               [[p.id, p.name, p.status.name.lower(), f"{p.application} {p.version}".strip(),
                 p.web_server.hostname, counts.get(p.id, 0), format_time(p.verified_at)]
                for p in rows]),
        f"{len(rows)} of {total} platform(s).",
    ])


@platform_cli.command("show")
@click.argument("platform_word", metavar="PLATFORM")
@output_options
def platform_show(platform_word: str) -> None:
    """A platform's details and the tasks it offers now."""
    platform = lookup.platform(platform_word)
    clients = ", ".join(c.name for c in platform.clients) or "every client"
    details = [
        ("id", platform.id), ("name", platform.name), ("status", platform.status.name.lower()),
        ("context", contexts.name_or_none(platform) or "none (deleted)"),
        ("root", platform.root), ("web server", platform.web_server.hostname),
        ("application", f"{platform.application} {platform.version}".strip()),
        ("makefile", platform.makefile or ""), ("open to", clients),
        ("verified", format_time(platform.verified_at)),
    ]
    emit(as_dict(platform), [*fields(details), "", *offered_tasks(platform)])


@platform_cli.command("add")
@click.argument("name")
@click.option("--root", required=True, help="The absolute path of the codebase.")
@click.option("--web-server", "server_word", metavar="SERVER", required=True,
              help="The server (host name or id) whose web service publishes it.")
@click.option("--makefile", default="", help="A makefile path or https:// address (recorded).")
@field_option
@wait_options
@output_options
def platform_add(name: str, root: str, server_word: str, makefile: str,
                 plugin_fields: tuple[str, ...], wait: bool, dispatch: bool) -> None:
    """Register a platform; its verify task is queued (with --wait, followed)."""
    try:
        platform = platforms.create_platform(
            name, root, lookup.server(server_word), makefile=makefile,
            plugin_fields=plugin_values(plugin_fields))
    except ValidationError as error:
        raise refused(error, PLATFORM_FLAGS) from None
    answer_created("platform", platform, f"Platform {platform.name} added (id {platform.id})",
                   tasks.pending_task(platform, "verify"), wait=wait, dispatch=dispatch)


@platform_cli.command("edit")
@click.argument("platform_word", metavar="PLATFORM")
@click.option("--client", "client_words", multiple=True, metavar="CLIENT",
              help="Open the platform to this client only (repeat for several).")
@click.option("--all-clients", is_flag=True, help="Open the platform to every client.")
@output_options
def platform_edit(platform_word: str, client_words: tuple[str, ...], all_clients: bool) -> None:
    """Limit a platform to some clients, or open it to all (the platform's Clients page)."""
    require_feature("clients")
    if bool(client_words) == all_clients:
        raise Refused("Give the clients (--client, repeated) or --all-clients.")
    platform = lookup.platform(platform_word)
    chosen = [lookup.client(word) for word in client_words]
    platforms.limit_to_clients(platform, chosen)
    names = ", ".join(c.name for c in chosen) or "every client"
    emit(as_dict(platform), f"Platform {platform.name} is open to {names}.")


@platform_cli.command("migrate")
@click.argument("platform_word", metavar="PLATFORM")
@click.option("--platform", "target_word", metavar="TARGET", required=True,
              help="The platform the sites move to (name or id).")
@click.option("--plan", is_flag=True, help="Only show which sites would move and which stay.")
@wait_options
@output_options
def platform_migrate(platform_word: str, target_word: str, plan: bool, wait: bool,
                     dispatch: bool) -> None:
    """Migrate sites: queue a migrate task for every enabled site of PLATFORM that passes the
    package comparison with TARGET (the platform's "Migrate sites" dialog)."""
    platform, target = lookup.platform(platform_word), lookup.platform(target_word)
    problem = tasks.why_unavailable(platform, "migrate")
    if problem:
        raise Refused(problem)
    verdicts = platform_migration.plan(platform, target).verdicts
    lines = [f"{v.site.uri}: {'moves' if v.passes else 'stays: ' + str(v.reason)}"
             for v in verdicts]
    if plan:
        emit({"items": [{"site": as_dict(v.site), "moves": v.passes, "reason": v.reason}
                        for v in verdicts]}, lines or ["No site to migrate."])
        return
    try:
        record = platform_migration.migrate_sites(platform, target)
    except TaskNotAvailable as refusal:
        raise Refused(str(refusal)) from None
    queued = [task for v in verdicts if v.passes
              and (task := tasks.pending_task(v.site, "migrate")) is not None]
    if not (wait or dispatch):
        emit({"task": as_dict(record), "queued": [as_dict(t) for t in queued]},
             [*lines, f"Migrate tasks queued: {', '.join(f'#{t.id}' for t in queued)}."])
        return
    warn("\n".join(lines))
    # Following ends the store session each poll: keep ids, read each task again.
    record_id, queued_ids = record.id, [task.id for task in queued]
    finished = [follow(lookup.task(str(task_id)), dispatch=dispatch) for task_id in queued_ids]
    emit({"task": as_dict(lookup.task(str(record_id))),
          "queued": [as_dict(t) for t in finished]},
         [ended(t) for t in finished])
    # The exit code of the worst ending: an error before warnings.
    for task in sorted(finished, key=lambda t: t.status != TaskStatus.ERROR):
        exit_as_it_ended(task)
