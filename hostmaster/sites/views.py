"""Sites: the list and a page per site with its tasks."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..extensions import db
from ..models import Site
from ..services import inventory_queries, task_queries, tasks

bp = Blueprint("sites", __name__, url_prefix="/sites")


@bp.route("")
def index() -> str:
    """Every site that is not deleted, with its platform, client and status."""
    return render_template("sites/list.html", sites=inventory_queries.list_sites())


@bp.route("/<int:entity_id>")
def show(entity_id: int) -> str:
    """A site's summary, its tasks and their history."""
    site = db.get_or_404(Site, entity_id)
    return render_template(
        "sites/show.html",
        site=site,
        available=tasks.available_tasks(site),
        history=task_queries.history_of(site),
    )
