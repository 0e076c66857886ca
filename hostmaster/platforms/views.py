"""Platforms: list, add, and each platform's page with its tasks and packages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Platform
from ..services import contexts, inventory_queries, platforms, task_queries, tasks
from ..services.errors import ValidationError
from ..ui import apply_errors
from .forms import PlatformAddForm

bp = Blueprint("platforms", __name__, url_prefix="/platforms")


@bp.route("")
def index() -> str:
    """Every platform that is not deleted, with its application, web server and site count."""
    return render_template("platforms/list.html", rows=platforms.list_platforms())


@bp.route("/add", methods=["GET", "POST"])
def add() -> Response | str:
    """Register a platform; its verify task is queued."""
    form = PlatformAddForm()
    if form.validate_on_submit():
        try:
            platform = platforms.create_platform(
                form.name.data or "",
                form.root.data or "",
                form.chosen_server(),
                makefile=(form.makefile.data or "").strip(),
                user=current_user._get_current_object(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(f"Platform {platform.name} added; its verify task is queued.", "success")
            return redirect(url_for("platforms.show", entity_id=platform.id))
    return render_template("platforms/add.html", form=form)


@bp.route("/<int:entity_id>")
def show(entity_id: int) -> str:
    """A platform's summary, its tasks and their history."""
    platform = db.get_or_404(Platform, entity_id)
    return render_template(
        "platforms/show.html",
        platform=platform,
        context_name=contexts.name_of(platform),
        available=tasks.available_tasks(platform),
        history=task_queries.history_of(platform),
        kind_counts=inventory_queries.package_kind_counts("platform", platform.id),
    )


@bp.route("/<int:entity_id>/packages")
def packages(entity_id: int) -> str:
    """The Packages tab: the modules, themes, profiles and plugins found on the platform."""
    platform = db.get_or_404(Platform, entity_id)
    kind = request.args.get("kind") or None
    return render_template(
        "platforms/packages.html",
        platform=platform,
        kind=kind,
        kind_counts=inventory_queries.package_kind_counts("platform", platform.id),
        packages=inventory_queries.platform_packages(platform.id, kind),
    )
