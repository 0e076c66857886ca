"""The account forms: change password, change e-mail, ask for a reset link, set a password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import InputRequired, Length

from ..services.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

_NEW_HELP = f"At least {MIN_PASSWORD_LENGTH} characters."


def _new_password(label: str = "New password") -> PasswordField:
    return PasswordField(
        label,
        validators=[InputRequired("Enter the new password."), Length(max=MAX_PASSWORD_LENGTH)],
        description=_NEW_HELP,
        render_kw={"autocomplete": "new-password"},
    )


def _repeat_password() -> PasswordField:
    return PasswordField(
        "New password again",
        validators=[InputRequired("Type the new password a second time.")],
        render_kw={"autocomplete": "new-password"},
    )


def _current_password() -> PasswordField:
    return PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )


class AccountPasswordForm(FlaskForm):
    """Change one's own password: the current one, then the new one twice."""

    current_password = _current_password()
    password = _new_password()
    password_confirm = _repeat_password()
    submit = SubmitField("Change password")


class AccountEmailForm(FlaskForm):
    """Change one's own e-mail address: the current password, then the address twice."""

    current_password = _current_password()
    email = EmailField(
        "New e-mail address",
        validators=[InputRequired("Enter the new address."), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    email_confirm = EmailField(
        "New e-mail address again",
        validators=[InputRequired("Type the new address a second time.")],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Change e-mail address")


class AccountResetForm(FlaskForm):
    """Ask for a mail with a link that sets a new password."""

    email = EmailField(
        "E-mail address",
        validators=[InputRequired("Enter the e-mail address of your account."), Length(max=254)],
        render_kw={"autocomplete": "email", "autofocus": True},
    )
    submit = SubmitField("Mail me a link")


class AccountSetPasswordForm(FlaskForm):
    """Set a password through a mailed link."""

    password = _new_password("Password")
    password_confirm = PasswordField(
        "Password again",
        validators=[InputRequired("Type the password a second time.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set password")
