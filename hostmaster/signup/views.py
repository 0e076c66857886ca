"""The sign-up form: anonymous visitors get a client, a user and a site (its install queued)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from .. import access
from ..services import rate_limits, signup
from ..services.errors import ValidationError
from ..ui import apply_errors
from .forms import SignupForm

bp = Blueprint("signup", __name__, url_prefix="/signup")

PUBLIC_ENDPOINTS = {"signup.form"}


@bp.before_request
def require_feature() -> None:
    """The form exists only while the "signup" feature is on, for those who may use it (by
    default: visitors who are not logged in, and administrators)."""
    access.require_feature("signup")
    access.require("access hosting signup form")


@bp.route("", methods=["GET", "POST"])
def form() -> tuple[str, int] | str:
    """Show the form; a valid sign-up shows where the password mail went."""
    offers = signup.offers()
    form = SignupForm(offers)
    if request.method == "POST":
        wait = signup.wait_before_signup(request.remote_addr or "unknown")
        if wait:
            form.form_errors.append(
                "Too many sign-ups from your address. Try again in "
                f"{rate_limits.in_words(wait)}.")
            return render_template("signup/form.html", form=form, offers=offers), 429
    if form.validate_on_submit():
        try:
            done = signup.sign_up(form.request())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return render_template("signup/done.html", signup=done)
    return render_template("signup/form.html", form=form, offers=offers)
