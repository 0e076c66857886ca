"""Administration › Users: every account with its roles and clients; an administrator sets
a user's password or mails them a set-password link (and sees at once whether it went)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .. import access
from ..extensions import db
from ..models import MailStatus, User
from ..services import accounts, clients, users
from ..services.errors import ValidationError
from ..ui import apply_errors
from .forms import UserPasswordForm, UserPasswordLinkForm

bp = Blueprint("users", __name__, url_prefix="/admin/users")


@bp.before_request
def administrators_only() -> None:
    """Other people's accounts are for those who may administer users."""
    access.require("administer users")


def _user_or_404(user_id: int) -> User:
    found = db.session.get(User, user_id)
    if found is None:
        abort(404)
    return found


@bp.route("")
def index() -> str:
    """Every account by user name, with its roles, clients and last login."""
    every = users.list_users()
    return render_template("users/list.html", users=every,
                           client_names={u.id: [c.name for c in clients.clients_of(u)]
                                         for u in every})


def _page(user: User, password_form: UserPasswordForm | None = None) -> str:
    return render_template("users/show.html", user=user,
                           clients=clients.clients_of(user),
                           password_form=password_form or UserPasswordForm(formdata=None),
                           link_form=UserPasswordLinkForm(formdata=None))


@bp.route("/<int:user_id>")
def show(user_id: int) -> str:
    """One account: roles, clients, last login; set its password or mail it a link."""
    return _page(_user_or_404(user_id))


@bp.route("/<int:user_id>/password", methods=["POST"])
def set_password(user_id: int) -> Response | str:
    """Give the user a new password (any link mailed before is spent by it)."""
    user = _user_or_404(user_id)
    form = UserPasswordForm()
    if form.validate_on_submit():
        try:
            users.set_password(user, form.password.data or "", form.password_confirm.data or "")
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(f"{user.username} has a new password; tell them by a safe way.", "success")
            return redirect(url_for("users.show", user_id=user.id))
    return _page(user, form)


@bp.route("/<int:user_id>/password-link", methods=["POST"])
def send_link(user_id: int) -> Response:
    """Mail the user a link that sets a password, and say whether the mail went."""
    user = _user_or_404(user_id)  # the CSRF token was checked before the view (CSRFProtect)
    sent = accounts.send_password_mail(user, accounts.ADMIN_LINK_SUBJECT,
                                       accounts.ADMIN_LINK_BODY)
    if sent.status == MailStatus.SENT:
        flash(f"A link to set a password went to {user.email}; it works once, within "
              f"{accounts.LINK_HOURS} hours.", "success")
    else:
        flash(f"The link could not be mailed to {user.email}: {sent.last_error}. Set the "
              "password below instead, or fix the mail settings and resend it from the "
              "outbox.", "error")
    return redirect(url_for("users.show", user_id=user.id))
