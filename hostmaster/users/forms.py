"""The users pages' forms: an administrator sets a user's password, or mails them a link."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import InputRequired, Length

from ..services.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class UserPasswordForm(FlaskForm):
    """A new password for another user, typed twice."""

    password = PasswordField(
        "New password",
        validators=[InputRequired("Enter the new password."), Length(max=MAX_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. Tell the user by a safe way.",
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        "New password again",
        validators=[InputRequired("Type the new password a second time.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set password")


class UserPasswordLinkForm(FlaskForm):
    """Mail the user a link that sets a password (the same mail as "Forgot your password?")."""

    submit = SubmitField("Mail a set-password link")
