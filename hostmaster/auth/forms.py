"""The login form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length


class UserLoginForm(FlaskForm):
    """User name and password."""

    username = StringField(
        "User name",
        validators=[InputRequired("Enter your user name."), Length(max=64)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Log in")
