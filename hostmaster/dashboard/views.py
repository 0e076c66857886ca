"""The dashboard at ``/``."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..models import Platform, Server, Site
from ..services import inventory_queries, task_queries

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index() -> str:
    """Counts of servers, platforms and sites by status, and of tasks by status."""
    return render_template(
        "dashboard/index.html",
        entity_counts=[
            ("Servers", "servers.index", inventory_queries.status_counts(Server)),
            ("Platforms", "platforms.index", inventory_queries.status_counts(Platform)),
            ("Sites", "sites.index", inventory_queries.status_counts(Site)),
        ],
        task_counts=task_queries.status_counts(),
    )
