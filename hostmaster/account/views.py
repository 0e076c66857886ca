"""The account pages: one's own password and e-mail, the reset request and the password link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..models import User
from ..services import accounts, rate_limits, users
from ..services.errors import ValidationError
from ..ui import apply_errors
from .forms import AccountEmailForm, AccountPasswordForm, AccountResetForm, AccountSetPasswordForm

bp = Blueprint("account", __name__, url_prefix="/account")

# Pages for people who are not logged in (auth/views.py lets them through).
PUBLIC_ENDPOINTS = {"account.reset", "account.set_password"}
RESET_FAILED = (
    "The mail could not be sent: the panel's mail server did not take it. Try again later, "
    "or ask your hosting provider to set a new password for you."
)
RESET_SENT = (
    "If an account uses {email}, a mail with a link to set a new password is on its way. "
    "The link works once, within {hours} hours."
)


def _me() -> User:
    user: User = current_user._get_current_object()
    return user


def _page(password_form: AccountPasswordForm, email_form: AccountEmailForm) -> str:
    return render_template(
        "account/index.html", password_form=password_form, email_form=email_form, user=_me())


@bp.route("")
def index() -> str:
    """The account page: who one is, and the two change forms."""
    return _page(AccountPasswordForm(prefix="pw"), AccountEmailForm(prefix="em"))


@bp.route("/password", methods=["POST"])
def change_password() -> Response | str:
    """Change one's own password."""
    form = AccountPasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            users.change_password(_me(), form.current_password.data or "",
                                  form.password.data or "", form.password_confirm.data or "")
        except ValidationError as error:
            apply_errors(form, error)
        else:
            login_user(_me())  # this session goes on, with the account's new session token
            flash("Your password is changed; every other session of your account has ended.",
                  "success")
            return redirect(url_for("account.index"))
    return _page(form, AccountEmailForm(prefix="em"))


@bp.route("/email", methods=["POST"])
def change_email() -> Response | str:
    """Change one's own e-mail address."""
    form = AccountEmailForm(prefix="em")
    if form.validate_on_submit():
        try:
            users.change_email(_me(), form.current_password.data or "",
                               form.email.data or "", form.email_confirm.data or "")
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(f"Your e-mail address is now {_me().email}.", "success")
            return redirect(url_for("account.index"))
    return _page(AccountPasswordForm(prefix="pw"), form)


@bp.route("/reset", methods=["GET", "POST"])
def reset() -> Response | tuple[str, int] | str:
    """Ask for a password link by mail; the answer is the same whether the address is known."""
    form = AccountResetForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip()
        outcome = accounts.request_reset(email, request.remote_addr or "unknown")
        if outcome.wait:
            form.form_errors.append(
                "Too many reset requests from your address. Try again in "
                f"{rate_limits.in_words(outcome.wait)}.")
            return render_template("account/reset.html", form=form), 429
        if outcome.mail_failed:
            form.form_errors.append(RESET_FAILED)
            return render_template("account/reset.html", form=form)
        flash(RESET_SENT.format(email=email, hours=accounts.LINK_HOURS), "info")
        return redirect(url_for("auth.login"))
    return render_template("account/reset.html", form=form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Response | tuple[str, int] | str:
    """Set a password through a mailed link (signed, expiring, good for one use)."""
    user = accounts.user_for_token(token)
    if user is None:
        return render_template("account/link_spent.html", hours=accounts.LINK_HOURS), 404
    form = AccountSetPasswordForm()
    if form.validate_on_submit():
        try:
            users.set_password(user, form.password.data or "", form.password_confirm.data or "")
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if current_user.is_authenticated:
                logout_user()  # whoever was logged in here, the link's account is not theirs
            flash(f"Your password is set. Log in as {user.username}.", "success")
            return redirect(url_for("auth.login"))
    return render_template("account/set_password.html", form=form, user=user)
