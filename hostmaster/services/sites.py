"""Sites: create one (its install is queued), edit its client and aliases, import found ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, selectinload

from .. import access, plugins
from ..extensions import db
from ..listing import Sorting, contains, search_term, sorted_query, whole_number
from ..models import (
    Client,
    Package,
    PackageInstance,
    Platform,
    PlatformStatus,
    Server,
    ServerStatus,
    Site,
    SiteHttps,
    SiteStatus,
    User,
)
from . import contexts, tasks
from .clients import default_client
from .errors import ValidationError
from .site_aliases import alias_rows, check_alias_lists
from .site_domains import check_site_domain, normalise
from .transaction import transaction
from .validation import check_language


@dataclass
class SiteSpec:
    """What the site form (or the CLI) says about a new site; empty means "the default"."""

    uri: str
    platform: Platform | None
    client: Client | None = None
    profile: str = ""
    language: str = "en"
    db_server: Server | None = None
    aliases: list[str] = field(default_factory=list)
    redirect_aliases: list[str] = field(default_factory=list)
    plugin_fields: dict[str, str] = field(default_factory=dict)


def profiles_by_platform() -> dict[int, list[str]]:
    """The install profiles of every platform, from its package registry (kind "profile")."""
    rows = db.session.execute(
        select(PackageInstance.owner_id, Package.short_name)
        .join(Package, Package.id == PackageInstance.package_id)
        .where(PackageInstance.owner_kind == "platform", Package.kind == "profile")
        .order_by(Package.short_name)
    )
    found: dict[int, list[str]] = {}
    for platform_id, name in rows:
        found.setdefault(platform_id, []).append(name)
    return found


def offered_platforms() -> list[Platform]:
    """Platforms new sites may go on: ENABLED ones (locked, queued and deleted are not)."""
    return list(
        db.session.scalars(
            select(Platform)
            .where(Platform.status == PlatformStatus.ENABLED)
            .order_by(Platform.name)
        )
    )


def db_servers() -> list[Server]:
    """Servers with a database service that are not deleted, by host name."""
    servers = db.session.scalars(
        select(Server).where(Server.status != ServerStatus.DELETED).order_by(Server.hostname)
    )
    return [s for s in servers if s.service_type("db") != "null"]


def _resolve_profile(platform: Platform, profile: str) -> tuple[str, str | None]:
    """The profile to install on ``platform`` and, when it cannot be, why not."""
    profiles = profiles_by_platform().get(platform.id, [])
    if profile:
        if profile not in profiles:
            return profile, (
                f"{platform.name} has no install profile '{profile}'; choose a platform "
                "that has it, or another profile."
            )
        return profile, None
    # "The platform's default": Drupal's standard profile when present, WordPress has none.
    if "standard" in profiles or not profiles:
        return ("standard" if profiles else ""), None
    return profiles[0], None


def _check_new_site(spec: SiteSpec) -> dict[str, list[str]]:
    """Every reason the new site cannot be created, by form field."""
    errors: dict[str, list[str]] = {}
    problem = check_site_domain(spec.uri)
    if problem:
        errors["uri"] = [problem]
    if spec.platform is None or spec.platform.status != PlatformStatus.ENABLED:
        errors["platform"] = ["Choose an enabled platform (locked platforms take no new sites)."]
    else:
        spec.profile, problem = _resolve_profile(spec.platform, spec.profile)
        if problem:
            errors["profile"] = [problem]
    problem = check_language(spec.language)
    if problem:
        errors["language"] = [problem]
    if spec.db_server is None or spec.db_server.status == ServerStatus.DELETED:
        errors["db_server"] = ["Choose the database server that will hold the site's database."]
    elif spec.db_server.service_type("db") == "null":
        errors["db_server"] = [f"{spec.db_server.title} has no database service."]
    if not errors.get("uri"):
        errors.update(check_alias_lists(spec.aliases, spec.redirect_aliases, spec.uri))
    errors.update(plugins.check_field_values("site", spec.plugin_fields))
    return errors


def create_site(spec: SiteSpec, *, user: User | None = None) -> Site:
    """Create a site (QUEUED) with its context name (its uri) and queue its install.

    Raises ValidationError, having written nothing, on bad input.
    """
    spec.uri = normalise(spec.uri)
    spec.aliases = [normalise(alias) for alias in spec.aliases]
    spec.redirect_aliases = [normalise(alias) for alias in spec.redirect_aliases]
    spec.language = spec.language.strip().lower() or "en"
    errors = _check_new_site(spec)
    if errors:
        raise ValidationError(errors)
    assert spec.platform is not None and spec.db_server is not None
    taken = f"{spec.uri} was taken by another request a moment ago; choose another domain."
    with transaction(taken, field="uri"):
        site = Site(
            uri=spec.uri,
            platform=spec.platform,
            client=spec.client or default_client(user),
            db_server=spec.db_server,
            profile=spec.profile,
            language=spec.language,
            status=SiteStatus.QUEUED,
            plugin_fields=spec.plugin_fields,
        )
        site.aliases = alias_rows(site, spec.uri, spec.aliases, spec.redirect_aliases)
        db.session.add(site)
        db.session.flush()
        contexts.register(site, contexts.suggested_name(site))
        tasks.queue(site, "install", user=user, commit=False)
    return site


def update_site(
    site: Site,
    *,
    client: Client | None,
    aliases: list[str],
    redirect_aliases: list[str],
    plugin_fields: dict[str, str] | None = None,
    user: User | None = None,
) -> Site:
    """Change a site's client, aliases (those that serve it, those that redirect; its automatic
    ones are made again) and plugin fields (all that may change after creation); queues verify
    when the site's state allows it. Raises ValidationError, having written nothing."""
    aliases = [normalise(a) for a in aliases]
    redirect_aliases = [normalise(a) for a in redirect_aliases]
    errors: dict[str, list[str]] = plugins.check_field_values("site", plugin_fields or {})
    if client is None:
        errors["client"] = ["Choose the client that owns the site."]
    errors.update(check_alias_lists(aliases, redirect_aliases, site.uri, ignore_site_id=site.id))
    if site.status == SiteStatus.DELETED:
        errors[""] = [f"{site.uri} is deleted; its client and aliases can no longer change."]
    if errors:
        raise ValidationError(errors)
    with transaction():
        site.client = client
        if plugin_fields:
            site.plugin_fields = {**(site.plugin_fields or {}), **plugin_fields}
        site.aliases = alias_rows(site, site.uri, aliases, redirect_aliases)
        # A disabled site is not verified (its enable writes the new aliases); a pending
        # verify will send the new values anyway.
        if tasks.why_unavailable(site, "verify") is None:
            tasks.queue(site, "verify", user=user, commit=False)
    return site


def import_found_sites(platform: Platform, uris: Iterable[str]) -> list[Site]:
    """Site records, each with an import task, for sites a platform verify found that the store
    does not know (the caller commits). Names that are not usable domains are skipped."""
    master = contexts.master_server()
    found: list[Site] = []
    for uri in dict.fromkeys(normalise(u) for u in uris):
        if check_site_domain(uri) is not None:
            continue  # known already (or not a domain at all): nothing to import
        site = Site(
            uri=uri,
            platform=platform,
            client=default_client(),
            db_server=master,
            status=SiteStatus.QUEUED,
        )
        db.session.add(site)
        db.session.flush()
        contexts.register(site, contexts.suggested_name(site))
        tasks.queue(site, "import", commit=False)
        found.append(site)
    return found


#: The columns the sites list sorts by, by the name its query string uses.
SITE_SORTS = {"domain": Site.uri, "platform": Platform.name, "client": Client.name,
              "status": Site.status, "verified": Site.verified_at,
              "certificate": SiteHttps.expires_at}


def site_list(args: Mapping[str, str], *, viewer: Any) -> tuple[Select[Any], Sorting]:
    """The sites list's query from its query string: ``status`` (default: all but deleted),
    ``q`` (part of the domain), ``client`` and ``platform`` (ids), ``sort`` and ``dir``; only
    the sites ``viewer`` may see."""
    # The platform comes from the join the sort uses (not a second, eager one), its web
    # server is not shown, and the clients of a page come in one query.
    query = (select(Site).join(Platform, Site.platform_id == Platform.id)
             .outerjoin(Client, Site.client_id == Client.id)
             .outerjoin(SiteHttps, SiteHttps.site_id == Site.id)
             .options(contains_eager(Site.https),
                      contains_eager(Site.platform).lazyload(Platform.web_server),
                      selectinload(Site.client)))
    query = access.visible(query, Site, viewer)
    name = (args.get("status") or "").upper()
    if name in SiteStatus.__members__:
        query = query.where(Site.status == SiteStatus[name])
    else:
        query = query.where(Site.status != SiteStatus.DELETED)
    term = search_term(args)
    if term:
        query = query.where(Site.uri.like(contains(term.lower()), escape="\\"))
    for key, column in (("client", Site.client_id), ("platform", Site.platform_id)):
        wanted = whole_number(args, key)
        if wanted is not None:
            query = query.where(column == wanted)
    return sorted_query(query, args, SITE_SORTS, "domain", tie_breaker=Site.id)


#: Tasks during which provision sends the site's visitors to the "site disabled" page while the
#: store still has it enabled: disable until it ends, restore and migrate in their
#: ``maintenance`` step (docs/protocol.md).
AWAY_TASKS = ("disable", "restore", "migrate")


def shows_disabled_page(uri: str) -> bool:
    """True when the public "site disabled" page is the truth about ``uri``: a site that is
    disabled, or on its way there or in maintenance; False for a deleted or unknown one."""
    site = db.session.scalar(
        select(Site).where(Site.uri == normalise(uri), Site.status != SiteStatus.DELETED))
    if site is None:
        return False
    if site.status == SiteStatus.DISABLED:
        return True
    return any(tasks.pending_task(site, name) is not None for name in AWAY_TASKS)
