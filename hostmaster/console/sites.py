"""``hostmaster site``: list, show, add and edit sites, and every site task (verify, backup,
disable, enable, delete, restore, migrate, clone ...), through the same services as the panel."""

from __future__ import annotations

import click

from .. import access
from ..api.serialize import as_dict, https_dict
from ..extensions import db
from ..models import Site, SiteStatus
from ..services import contexts, site_aliases, site_https, sites, tasks
from ..services.errors import ValidationError
from ..services.migration_targets import migration_targets
from ..ui import format_time
from . import lookup
from .follow import answer_created, wait_options
from .options import field_option, page, page_options, plugin_values, refused, require_feature
from .output import emit, fields, listing, output_options, table
from .task_commands import EntityGroup, offered_tasks

site_cli = EntityGroup("site", "site", help="Sites: list, show, add, edit, and their tasks.")

#: The option (or argument) that gives each field of the site services.
SITE_FLAGS = {"uri": "DOMAIN", "platform": "--platform", "db_server": "--db-server",
              "client": "--client", "profile": "--profile", "language": "--language",
              "aliases": "--alias", "redirect_aliases": "--redirect-alias"}


@site_cli.command("list")
@click.option("--status", type=click.Choice([s.name.lower() for s in SiteStatus]),
              help="Only sites in this status (default: all but deleted).")
@click.option("--platform", "platform_word", metavar="PLATFORM", help="Only sites on it.")
@click.option("--client", "client_word", metavar="CLIENT", help="Only the client's sites.")
@click.option("--search", default="", help="Only domains containing this text.")
@click.option("--sort", type=click.Choice(sorted(sites.SITE_SORTS)), default="domain",
              show_default=True)
@page_options
@output_options
def site_list(status: str | None, platform_word: str | None, client_word: str | None,
              search: str, sort: str, limit: int, offset: int) -> None:
    """List sites (as the Sites page: filtered, sorted, a page at a time)."""
    args = {"status": status or "", "q": search, "sort": sort}
    if platform_word:
        args["platform"] = str(lookup.platform(platform_word).id)
    if client_word:
        args["client"] = str(lookup.client(client_word).id)
    query, _sorting = sites.site_list(args, viewer=access.COMMAND_LINE)
    rows, total = page(query, limit, offset)
    emit(listing([as_dict(row) for row in rows], total, limit, offset), [
        *table(["ID", "DOMAIN", "STATUS", "PLATFORM", "CLIENT", "VERIFIED"],
               [[s.id, s.uri, s.status.name.lower(), s.platform.name,
                 s.client.name if s.client else "", format_time(s.verified_at)]
                for s in rows]),
        f"{len(rows)} of {total} site(s).",
    ])


@site_cli.command("show")
@click.argument("site_word", metavar="SITE")
@output_options
def site_show(site_word: str) -> None:
    """A site's details and the tasks it offers now (and why the others are not offered)."""
    site = lookup.site(site_word)
    emit(as_dict(site), [*fields(_details(site)), "", *offered_tasks(site)])


@site_cli.command("targets")
@click.argument("site_word", metavar="SITE")
@output_options
def site_targets(site_word: str) -> None:
    """The platforms a migrate or clone of the site may choose (``--platform``), on any web
    server, and why any of them is refused."""
    site = lookup.site(site_word)
    rows = [target.summary() for target in migration_targets(site)]
    emit({"targets": rows}, [
        *table(["ID", "PLATFORM", "WEB SERVER", "UPGRADES", "WARNINGS", "ERRORS", "CHOOSE"],
               [[r["platform_id"], r["platform"], r["web_server"], r["upgrades"], r["warnings"],
                 r["errors"], f"no: {r['refusal']}" if r["refusal"] else "yes"] for r in rows]),
        f"{sum(not r['refusal'] for r in rows)} of {len(rows)} platform(s) may be chosen for "
        f"{site.uri}.",
    ])


def _details(site: Site) -> list[tuple[str, object]]:
    return [
        ("id", site.id), ("domain", site.uri), ("status", site.status.name.lower()),
        ("context", contexts.name_or_none(site) or "none (deleted)"),
        ("platform", site.platform.name), ("client", site.client.name if site.client else ""),
        ("database server", site.db_server.title if site.db_server else ""),
        ("profile", site.profile), ("language", site.language),
        ("aliases", ", ".join(site_aliases.served(site)) or "none"),
        ("aliases that redirect", ", ".join(site_aliases.redirected(site)) or "none"),
        ("automatic aliases", ", ".join(site_aliases.automatic(site)) or "none"),
        ("created", format_time(site.created_at)), ("verified", format_time(site.verified_at)),
        ("last cron", format_time(site.last_cron_at)),
    ]


@site_cli.command("add")
@click.argument("uri", metavar="DOMAIN")
@click.option("--platform", "platform_word", required=True, metavar="PLATFORM",
              help="The platform (name or id) the site runs on.")
@click.option("--db-server", "db_server_word", metavar="SERVER",
              help="The server (host name or id) that holds the site's database.")
@click.option("--client", "client_word", metavar="CLIENT",
              help="The client that owns the site (default: the default client).")
@click.option("--profile", default="", help="The install profile (default: the platform's).")
@click.option("--language", default="en", show_default=True)
@click.option("--alias", "aliases", multiple=True,
              help="Another domain that serves the site (repeat).")
@click.option("--redirect-alias", "redirect_aliases", multiple=True,
              help="Another domain whose visitors are redirected to DOMAIN (repeat).")
@field_option
@wait_options
@output_options
def site_add(uri: str, platform_word: str, db_server_word: str | None, client_word: str | None,
             profile: str, language: str, aliases: tuple[str, ...],
             redirect_aliases: tuple[str, ...],
             plugin_fields: tuple[str, ...], wait: bool, dispatch: bool) -> None:
    """Create a site; its install task is queued. With --json the answer is the REST API's
    {"site": ..., "task": ...}."""
    if aliases or redirect_aliases:
        require_feature("site_aliases")
    spec = sites.SiteSpec(
        uri=uri, platform=lookup.platform(platform_word),
        client=lookup.client(client_word) if client_word else None,
        profile=profile, language=language,
        db_server=lookup.server(db_server_word) if db_server_word else None,
        aliases=list(aliases), redirect_aliases=list(redirect_aliases),
        plugin_fields=plugin_values(plugin_fields))
    try:
        site = sites.create_site(spec)
    except ValidationError as error:
        raise refused(error, SITE_FLAGS) from None
    answer_created("site", site, f"Site {site.uri} created (id {site.id})",
                   tasks.pending_task(site, "install"), wait=wait, dispatch=dispatch)


@site_cli.command("edit")
@click.argument("site_word", metavar="SITE")
@click.option("--client", "client_word", metavar="CLIENT", help="Give the site to this client.")
@click.option("--alias", "aliases", multiple=True,
              help="The site's aliases become these and the --redirect-alias ones (repeat); "
              "see --no-aliases.")
@click.option("--redirect-alias", "redirect_aliases", multiple=True,
              help="An alias whose visitors are redirected to the site's domain (repeat).")
@click.option("--no-aliases", is_flag=True, help="Remove every alias (automatic ones stay).")
@field_option
@output_options
def site_edit(site_word: str, client_word: str | None, aliases: tuple[str, ...],
              redirect_aliases: tuple[str, ...], no_aliases: bool,
              plugin_fields: tuple[str, ...]) -> None:
    """Change a site's client, aliases or plugin fields; its verify is queued (as the panel's
    edit form does). What is not given stays as it is."""
    site = lookup.site(site_word)
    given = bool(aliases or redirect_aliases)
    if given or no_aliases:
        require_feature("site_aliases")
    if no_aliases and given:
        raise click.UsageError("Give --no-aliases or the aliases the site keeps, not both.")
    if no_aliases or given:
        served, redirected = list(aliases), list(redirect_aliases)
    else:
        served, redirected = site_aliases.typed_served(site), site_aliases.redirected(site)
    try:
        sites.update_site(
            site,
            client=lookup.client(client_word) if client_word else site.client,
            aliases=served,
            redirect_aliases=redirected,
            plugin_fields=plugin_values(plugin_fields))
    except ValidationError as error:
        raise refused(error, SITE_FLAGS) from None
    verify = tasks.pending_task(site, "verify")
    queued = f"; its verify is task #{verify.id}" if verify is not None else ""
    emit(as_dict(site), f"Site {site.uri} saved{queued}.")


@site_cli.command("https")
@click.argument("site_word", metavar="SITE")
@click.option("--mode", type=click.Choice(["off", "enabled", "required"]), default=None,
              help="off; enabled: HTTP and HTTPS serve; required: HTTP redirects to HTTPS.")
@click.option("--hsts/--no-hsts", default=None,
              help="Tell browsers to use only HTTPS for the site for a year.")
@output_options
def site_https_command(site_word: str, mode: str | None, hsts: bool | None) -> None:
    """Show a site's HTTPS and its certificate, or change them (a change queues its verify;
    what is not given stays as it is)."""
    site = lookup.site(site_word)
    row = site_https.https_of(site)
    if mode is not None or hsts is not None:
        try:
            site_https.set_https(site, mode or row.mode, row.hsts if hsts is None else hsts)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            raise refused(error, {"https": "--mode", "hsts": "--hsts"}) from None
        row = site_https.https_of(site)
    shown = https_dict(row)
    emit(shown, fields([
        ("https", row.mode), ("hsts", "yes" if row.hsts else "no"),
        ("certificate expires", format_time(row.expires_at, "not known")),
        ("issuer", "self-signed" if row.self_signed else row.issuer or "none"),
        ("last renewal", f"failed: {row.error}" if row.error else "ok")]))
