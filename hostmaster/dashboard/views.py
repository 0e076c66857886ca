"""The dashboard at ``/``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from .. import access
from ..models import Platform, Server, Site
from ..services import inventory_queries, task_queries

bp = Blueprint("dashboard", __name__)


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
    )
