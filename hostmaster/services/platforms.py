"""Platforms: register a codebase on a web server, and list them."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Platform, PlatformStatus, Server, ServerStatus, Site, SiteStatus, User
from . import contexts, tasks
from .errors import ValidationError
from .validation import check_absolute_path, check_name


def create_platform(
    name: str,
    root: str,
    web_server: Server | None,
    *,
    makefile: str = "",
    user: User | None = None,
) -> Platform:
    """Register a platform, give it its context name and queue its verify.

    Raises ValidationError, having written nothing, on bad input.
    """
    name, root = name.strip(), root.strip()
    root = root.rstrip("/") if root != "/" else root
    errors: dict[str, list[str]] = {}
    problem = check_name(name, "platform name")
    if problem:
        errors["name"] = [problem]
    elif db.session.scalar(select(Platform.id).where(Platform.name == name)) is not None:
        errors["name"] = [f"A platform called {name} already exists."]
    problem = check_absolute_path(root)
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
    if makefile and check_absolute_path(makefile) and not makefile.startswith("https://"):
        errors["makefile"] = ["A makefile is an absolute path or an https:// address."]
    if not errors:
        context_name = contexts.suggested_name(Platform(name=name))
        if contexts.entity_for(context_name) is not None:
            errors["name"] = [f"The context name @{context_name} is already taken."]
    if errors:
        raise ValidationError(errors)
    assert web_server is not None

    platform = Platform(
        name=name,
        root=root,
        makefile=makefile,
        web_server=web_server,
        status=PlatformStatus.QUEUED,
    )
    db.session.add(platform)
    try:
        db.session.flush()
        contexts.register(platform, contexts.suggested_name(platform))
        tasks.queue(platform, "verify", user=user, commit=False)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return platform


def list_platforms() -> list[tuple[Platform, int]]:
    """Platforms that are not deleted, each with its number of sites that are not deleted."""
    site_count = (
        select(func.count(Site.id))
        .where(Site.platform_id == Platform.id, Site.status != SiteStatus.DELETED)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Platform, site_count)
        .where(Platform.status != PlatformStatus.DELETED)
        .order_by(Platform.name)
    )
    return [(platform, count) for platform, count in rows]
