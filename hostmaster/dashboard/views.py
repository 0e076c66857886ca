"""The dashboard at ``/``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..extensions import db
from ..models import Platform, Server, Site, SiteStatus
from ..services import inventory_queries, settings, site_https, task_queries

bp = Blueprint("dashboard", __name__)
#: How many of a client's sites the dashboard lists.
OWN_SITES = 10


@bp.route("/")
def index() -> str:
    """Counts of the servers, platforms and sites the user may see by status, and of their
    tasks by status."""
    user = current_user
    shown: list[tuple[str, str, Any]] = [
        ("Servers", "servers.index", Server),
        ("Platforms", "platforms.index", Platform),
        ("Sites", "sites.index", Site),
    ]
    return render_template(
        "dashboard/index.html",
        entity_counts=[
            (title, endpoint, inventory_queries.status_counts(model, viewer=user))
            for title, endpoint, model in shown
            if model is not Server or access.can(user, "view server")
        ],
        task_counts=task_queries.status_counts(viewer=user),
        own_sites=None if access.can(user, "administer sites") else own_sites(user),
        own_sites_limit=OWN_SITES,
        public_url=settings.public_url(),
        failed_renewals=site_https.failed_renewals(user),
    )


def own_sites(user: Any) -> list[Site]:
    """The first sites (by domain) of the clients a user without ``administer sites`` acts
    for: the dashboard of a client's user starts with them."""
    query = select(Site).where(Site.status != SiteStatus.DELETED).order_by(Site.uri)
    return list(db.session.scalars(access.visible(query, Site, user).limit(OWN_SITES)))
