"""Platforms: list, add, and each platform's page with its tasks and packages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import access
from ..listing import page_of, search_term
from ..models import Platform, PlatformStatus
from ..plugin_forms import plugin_values, with_plugin_fields
from ..services import contexts, inventory_queries, platforms, servers, task_queries, tasks
from ..services.errors import ValidationError
from ..ui import apply_errors
from .forms import PlatformAddForm, PlatformClientsForm

bp = Blueprint("platforms", __name__, url_prefix="/platforms")


@bp.route("")
def index() -> str:
    """Platforms a page at a time with their application, web server and site count: searched
    by name, filtered by status and web server, sorted by any column (hostmaster.listing)."""
    query, sorting = platforms.platform_list(request.args, viewer=current_user)
    page = page_of(query, request.args)
    return render_template(
        "platforms/list.html", page=page, sorting=sorting, term=search_term(request.args),
        site_counts=platforms.site_counts(list(page.items), viewer=current_user),
        statuses=list(PlatformStatus),
        servers=[s for s in servers.web_servers() if access.can_see(current_user, s)])


@bp.route("/add", methods=["GET", "POST"])
def add() -> Response | str:
    """Register a platform; its verify task is queued."""
    access.require("create platform")
    form = with_plugin_fields(PlatformAddForm, "platform", editing=False)()
    if form.validate_on_submit():
        try:
            platform = platforms.create_platform(
                form.name.data or "",
                form.root.data or "",
                form.chosen_server(),
                makefile=(form.makefile.data or "").strip(),
                plugin_fields=plugin_values(form),
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
    platform = access.get_or_404(Platform, entity_id)
    return render_template(
        "platforms/show.html",
        platform=platform,
        context_name=contexts.name_of(platform),
        available=[row for row in tasks.available_tasks(platform)
                   if access.may_run(current_user, row[0], platform)],
        history=access.visible_tasks(task_queries.history_of(platform), current_user),
        kind_counts=inventory_queries.package_kind_counts("platform", platform.id),
    )


@bp.route("/<int:entity_id>/packages")
def packages(entity_id: int) -> str:
    """The Packages tab: the modules, themes, profiles and plugins found on the platform."""
    access.require("view package")
    platform = access.get_or_404(Platform, entity_id)
    kind = request.args.get("kind") or None
    return render_template(
        "platforms/packages.html",
        platform=platform,
        kind=kind,
        kind_counts=inventory_queries.package_kind_counts("platform", platform.id),
        packages=inventory_queries.platform_packages(platform.id, kind),
    )


@bp.route("/<int:entity_id>/clients", methods=["GET", "POST"])
def clients(entity_id: int) -> Response | str:
    """The clients the platform is limited to: only their users see it and put sites on it."""
    platform = access.get_or_404(Platform, entity_id, action="edit")
    form = PlatformClientsForm(platform)
    if form.validate_on_submit():
        chosen = form.chosen_clients()
        platforms.limit_to_clients(platform, chosen)
        names = ", ".join(c.name for c in chosen)
        flash(f"{platform.name} is limited to {names}." if chosen
              else f"{platform.name} is open to every client.", "success")
        return redirect(url_for("platforms.show", entity_id=platform.id))
    return render_template(
        "platforms/clients.html",
        platform=platform,
        form=form,
        kind_counts=inventory_queries.package_kind_counts("platform", platform.id),
    )
