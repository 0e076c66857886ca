"""Clients: the list, add, edit and delete, each client's page, and the client and sign-up
settings. Who may do which is decided in hostmaster/access/: staff with ``administer clients`` see
every client, a client's users see their own."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import access
from ..models import Client, MailStatus, User
from ..services import clients, settings
from ..services.errors import ValidationError
from ..services.setting_registry import in_group
from ..ui import apply_errors
from .forms import ClientAddForm, ClientEditForm, ClientSettingsForm

bp = Blueprint("clients", __name__, url_prefix="/clients")


@bp.before_request
def require_feature() -> None:
    """The pages exist while the "clients" feature is on."""
    access.require_feature("clients")


@bp.app_template_global()
def may_see_clients() -> bool:
    """Whether the header shows the Clients tab to the current user."""
    from ..services import features

    return features.enabled("clients") and access.can(current_user, "view client")


def _limited(form: ClientAddForm) -> ClientAddForm:
    form.limit_to(access.can(current_user, "edit client uname"),
                  access.can(current_user, "edit client users"))
    return form


@bp.route("")
def index() -> str:
    """The clients one may see, with their short name, e-mail and site count."""
    access.require("view client")
    return render_template(
        "clients/list.html",
        clients=clients.list_clients(viewer=current_user),
        site_counts=clients.site_counts(),
        may_create=access.can(current_user, "create client"),
        may_configure=access.can(current_user, "administer hosting settings"),
    )


@bp.route("/add", methods=["GET", "POST"])
def add() -> Response | str:
    """Create a client (and, by the settings, its account and welcome mail)."""
    access.require("create client")
    form = _limited(ClientAddForm())
    if form.validate_on_submit():
        try:
            client, made = clients.create_client(form.spec())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(f"Client {client.name} created.", "success")
            if made is not None:
                _welcome(client, made)
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("clients/add.html", form=form)


def _welcome(client: Client, user: User) -> None:
    """Mail the new client's account its password link (by the settings), and say so."""
    sent = clients.send_welcome(client, user)
    if sent is None:
        flash(f"The account {user.username} was made; it has no password until one is set "
              "through a reset link, or by an administrator on its page.", "info")
    elif sent.status == MailStatus.SENT:
        flash(f"The account {user.username} was made and mailed a password link.", "info")
    else:
        flash(f"The account {user.username} was made, but its password mail could not be "
              f"sent: {sent.last_error}. It waits in the outbox: check the mail settings and "
              "send it again there, or set the password on the account's page.", "warning")


@bp.route("/<int:client_id>")
def show(client_id: int) -> str:
    """A client's details, users and sites."""
    client = access.get_or_404(Client, client_id)
    return render_template(
        "clients/show.html",
        client=client,
        sites=clients.sites_of(client),
        may_edit=access.can_change(current_user, client, "edit"),
        may_delete=access.can_change(current_user, client, "delete"),
    )


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
def edit(client_id: int) -> Response | str:
    """Change a client's details and the users allowed on it."""
    client = access.get_or_404(Client, client_id, action="edit")
    form = _limited(ClientEditForm(client))
    if form.validate_on_submit():
        try:
            clients.update_client(client, form.spec(client))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(f"Client {client.name} saved.", "success")
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("clients/edit.html", form=form, client=client)


@bp.route("/<int:client_id>/delete", methods=["POST"])
def delete(client_id: int) -> Response:
    """Delete a client that owns no site."""
    client = access.get_or_404(Client, client_id, action="delete")
    name = client.name
    try:
        clients.delete_client(client)
    except ValidationError as error:
        flash(str(error), "error")
        return redirect(url_for("clients.show", client_id=client_id))
    flash(f"Client {name} deleted.", "success")
    return redirect(url_for("clients.index"))


SETTING_NAMES = tuple(s.name for group in ("clients", "signup") for s in in_group(group))


@bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
def client_settings() -> Response | str:
    """What happens to new clients, and what the sign-up form offers."""
    access.require("administer hosting settings")
    form = ClientSettingsForm(data={name: settings.get(name) for name in SETTING_NAMES})
    if form.validate_on_submit():
        try:
            settings.save({name: form[name].data for name in SETTING_NAMES})
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash("Client and sign-up settings saved.", "success")
            return redirect(url_for("clients.settings"))
    return render_template("clients/settings.html", form=form)
