"""Servers: list, add, edit, and each server's page with its tasks."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import access
from ..models import Server
from ..plugin_forms import plugin_values, stored_values, with_plugin_fields
from ..services import contexts, server_edits, servers, task_queries, tasks
from ..services.errors import ValidationError
from ..ui import apply_errors
from .forms import ERROR_FIELDS, ServerAddForm, ServerEditForm, edit_form_data

bp = Blueprint("servers", __name__, url_prefix="/servers")


@bp.route("")
def index() -> str:
    """Every server that is not deleted, with its services and status."""
    access.require("view server")
    return render_template("servers/list.html", servers=servers.list_servers())


@bp.route("/add", methods=["GET", "POST"])
def add() -> Response | str:
    """Register a server; its verify task is queued."""
    access.require("create server")
    form = with_plugin_fields(ServerAddForm, "server", editing=False)()
    if form.validate_on_submit():
        try:
            changes = form.changes()
            server = servers.create_server(
                form.hostname.data or "",
                human_name=changes.human_name,
                ip_addresses=changes.ip_addresses,
                services=changes.services,
                plugin_fields=plugin_values(form),
                ssh=changes.ssh,
                user=current_user._get_current_object(),
            )
        except ValidationError as error:
            apply_errors(form, error, ERROR_FIELDS)
        else:
            flash(f"Server {server.hostname} added; its verify task is queued.", "success")
            return redirect(url_for("servers.show", entity_id=server.id))
    return render_template("servers/add.html", form=form)


@bp.route("/<int:entity_id>/edit", methods=["GET", "POST"])
def edit(entity_id: int) -> Response | str:
    """Change a server's name, addresses, services and SSH settings; its verify is queued."""
    server = access.get_or_404(Server, entity_id, action="edit")
    form = with_plugin_fields(ServerEditForm, "server", editing=True)(
        data={**edit_form_data(server), **stored_values(server)})
    if form.validate_on_submit():
        try:
            server_edits.update_server(server, form.changes(server_edits.changes_of(server)),
                                       plugin_fields=plugin_values(form),
                                       user=current_user._get_current_object())
        except ValidationError as error:
            apply_errors(form, error, ERROR_FIELDS)
        else:
            flash(f"Server {server.hostname} saved; its verify task is queued.", "success")
            return redirect(url_for("servers.show", entity_id=server.id))
    return render_template("servers/edit.html", form=form, server=server)


@bp.route("/<int:entity_id>")
def show(entity_id: int) -> str:
    """A server's settings (never its database password), its tasks and their history."""
    server = access.get_or_404(Server, entity_id)
    return render_template(
        "servers/show.html",
        server=server,
        context_name=contexts.name_of(server),
        available=[row for row in tasks.available_tasks(server)
                   if access.may_run(current_user, row[0], server)],
        history=access.visible_tasks(task_queries.history_of(server), current_user),
    )
