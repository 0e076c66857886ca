"""Platforms: register a codebase on a web server, and list them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, select

from .. import access, plugins
from ..extensions import db
from ..listing import Sorting, contains, search_term, sorted_query, whole_number
from ..models import Client, Platform, PlatformStatus, Server, ServerStatus, Site, SiteStatus, User
from . import contexts, tasks
from .errors import ValidationError
from .transaction import transaction
from .validation import check_absolute_path, check_name, check_platform_root, rules


def create_platform(
    name: str,
    root: str,
    web_server: Server | None,
    *,
    makefile: str = "",
    plugin_fields: dict[str, str] | None = None,
    user: User | None = None,
) -> Platform:
    """Register a platform, give it its context name and queue its verify.

    Raises ValidationError, having written nothing, on bad input.
    """
    name, root, makefile = name.strip(), root.strip(), makefile.strip()
    root = root.rstrip("/") if root != "/" else root
    errors: dict[str, list[str]] = {}
    problem = check_name(name, "platform name")
    if problem:
        errors["name"] = [problem]
    elif db.session.scalar(select(Platform.id).where(Platform.name == name)) is not None:
        errors["name"] = [f"A platform called {name} already exists."]
    problem = check_platform_root(root)
    if problem:
        errors["root"] = [problem]
    elif (
        db.session.scalar(
            select(Platform.id).where(
                Platform.root == root, Platform.status != PlatformStatus.DELETED
            )
        )
        is not None
    ):
        errors["root"] = [f"Another platform already lives in {root}."]
    if web_server is None or web_server.status == ServerStatus.DELETED:
        errors["web_server"] = ["Choose the web server that publishes this platform."]
    elif web_server.service_type("http") == "null":
        errors["web_server"] = [f"{web_server.title} has no web service."]
    if makefile and check_absolute_path(makefile, "makefile") and (
        not makefile.startswith("https://") or rules.problem(rules.url, makefile)
    ):
        errors["makefile"] = ["A makefile is an absolute path or an https:// address."]
    errors.update(plugins.check_field_values("platform", plugin_fields or {}))
    if not errors:
        context_name = contexts.suggested_name(Platform(name=name))
        if contexts.entity_for(context_name) is not None:
            errors["name"] = [f"The context name @{context_name} is already taken."]
    if errors:
        raise ValidationError(errors)
    assert web_server is not None

    with transaction(f"A platform called {name} was added by another request a moment ago.",
                     field="name"):
        platform = Platform(
            name=name,
            root=root,
            makefile=makefile,
            web_server=web_server,
            status=PlatformStatus.QUEUED,
            plugin_fields=plugin_fields or {},
        )
        db.session.add(platform)
        db.session.flush()
        contexts.register(platform, contexts.suggested_name(platform))
        tasks.queue(platform, "verify", user=user, commit=False)
    return platform


def _site_count(viewer: Any) -> Any:
    """A platform's number of sites that are not deleted (those ``viewer`` may see)."""
    counted = select(func.count(Site.id)).where(
        Site.platform_id == Platform.id, Site.status != SiteStatus.DELETED)
    return access.visible(counted, Site, viewer).scalar_subquery()


def platform_list(args: Mapping[str, str], *, viewer: Any) -> tuple[Select[Any], Sorting]:
    """The platforms list's query from its query string: ``status`` (default: all but
    deleted), ``q`` (part of the name), ``server`` (id of the web server), ``sort`` and
    ``dir``; only the platforms ``viewer`` may see."""
    query = select(Platform).join(Server, Platform.web_server_id == Server.id)
    query = access.visible(query, Platform, viewer)
    name = (args.get("status") or "").upper()
    if name in PlatformStatus.__members__:
        query = query.where(Platform.status == PlatformStatus.__members__[name])
    else:
        query = query.where(Platform.status != PlatformStatus.DELETED)
    term = search_term(args)
    if term:
        query = query.where(Platform.name.like(contains(term), escape="\\"))
    server = whole_number(args, "server")
    if server is not None:
        query = query.where(Platform.web_server_id == server)
    sorts = {"name": Platform.name, "server": Server.hostname, "status": Platform.status,
             "sites": _site_count(viewer), "verified": Platform.verified_at}
    return sorted_query(query, args, sorts, "name", tie_breaker=Platform.id)


def site_counts(platforms: list[Platform], *, viewer: Any) -> dict[int, int]:
    """Each platform's number of sites that are not deleted (those ``viewer`` may see)."""
    if not platforms:
        return {}
    query = (select(Site.platform_id, func.count(Site.id))
             .where(Site.platform_id.in_([p.id for p in platforms]),
                    Site.status != SiteStatus.DELETED)
             .group_by(Site.platform_id))
    counts: dict[int, int] = {
        platform_id: count
        for platform_id, count in db.session.execute(access.visible(query, Site, viewer))}
    return {p.id: counts.get(p.id, 0) for p in platforms}


def limit_to_clients(platform: Platform, clients: list[Client]) -> None:
    """Limit ``platform`` to ``clients`` (none: open to every client) and commit."""
    with transaction():
        platform.clients = list(clients)
