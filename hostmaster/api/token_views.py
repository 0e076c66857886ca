"""The API tokens page: a user makes tokens (each shown once), sees them, and revokes them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField, SubmitField

from ..services import api_tokens
from ..services.errors import ValidationError
from ..ui import apply_errors

bp = Blueprint("api_tokens", __name__, url_prefix="/api-tokens")


class TokenForm(FlaskForm):
    """A new token's name."""

    name = StringField("Name", description="What the token is for, e.g. billing.")
    submit = SubmitField("Make a token")


@bp.route("", methods=["GET", "POST"])
def index() -> str:
    """The user's tokens, and the form for a new one; a new token is shown on this page once."""
    user = current_user._get_current_object()
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            _record, new_token = api_tokens.create(user, form.name.data or "")
        except ValidationError as error:
            apply_errors(form, error)
        else:
            form = TokenForm(formdata=None)
    return render_template("api/tokens.html", form=form, tokens=api_tokens.tokens_of(user),
                           new_token=new_token)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int) -> Response:
    """Revoke one of the user's tokens: from now on it is refused."""
    record = api_tokens.revoke(current_user._get_current_object(), token_id)
    if record is None:
        abort(404)
    flash(f"The token {record.name} ({record.prefix}…) is revoked.", "success")
    return redirect(url_for("api_tokens.index"))
