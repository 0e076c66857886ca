"""The client forms (name, organisation, e-mail twice, short name, users) and the settings
form of clients and the sign-up form."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import Client
from ..services import sites
from ..services.clients import ClientSpec
from ..services.setting_registry import MAIL_PLACEHOLDERS


class ClientAddForm(FlaskForm):
    """A new client."""

    name = StringField(
        "Name",
        validators=[InputRequired("Enter the client's name."), Length(max=255)],
        render_kw={"autocomplete": "off"},
    )
    organisation = StringField("Organisation", validators=[Length(max=255)])
    email = EmailField(
        "E-mail address",
        validators=[InputRequired("Enter the client's e-mail address."), Length(max=254)],
    )
    email_confirm = EmailField(
        "E-mail address again",
        validators=[InputRequired("Type the e-mail address a second time.")],
    )
    uname = StringField(
        "Short name",
        validators=[Length(max=64)],
        description="At most 16 lower-case letters and digits, unique; made from the name "
        "when empty. It names the client's folder on the servers.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    usernames = TextAreaField(
        "Users",
        description="User names of the accounts that may act for this client, one per line. "
        "Left empty, a new client gets an account of its own when the client settings say so.",
        render_kw={"rows": 3, "spellcheck": "false", "autocomplete": "off"},
    )
    submit = SubmitField("Create client")

    def limit_to(self, may_edit_uname: bool, may_edit_users: bool) -> None:
        """Drop the short name and users fields a user may not set."""
        if not may_edit_uname:
            del self.uname
        if not may_edit_users:
            del self.usernames

    def spec(self, client: Client | None = None) -> ClientSpec:
        """The client as the service takes it; fields the form lacks keep ``client``'s
        values (for a new client: a short name from the name, no users)."""
        uname = self._fields.get("uname")
        usernames = self._fields.get("usernames")
        current_users = [row.user.username for row in client.users] if client else []
        return ClientSpec(
            name=self.name.data or "",
            organisation=self.organisation.data or "",
            email=self.email.data or "",
            email_confirm=self.email_confirm.data or "",
            uname=(uname.data or "") if uname is not None else (client.uname if client else ""),
            usernames=(usernames.data or "").split() if usernames is not None else current_users,
        )


class ClientEditForm(ClientAddForm):
    """An existing client; its users are listed by name."""

    submit = SubmitField("Save client")

    def __init__(self, client: Client, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("name", client.name)
        kwargs.setdefault("organisation", client.organisation)
        kwargs.setdefault("email", client.email)
        kwargs.setdefault("email_confirm", client.email)
        kwargs.setdefault("uname", client.uname)
        kwargs.setdefault("usernames", "\n".join(row.user.username for row in client.users))
        super().__init__(*args, **kwargs)


class _Checkboxes(SelectMultipleField):
    """A list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ClientSettingsForm(FlaskForm):
    """What happens when a client is made, and what the sign-up form offers."""

    client_uname_prefix = StringField(
        "Short name prefix",
        validators=[Length(max=8)],
        description="Put before every short name made from a client's name, e.g. c.",
    )
    client_create_user = BooleanField("Make an account for a new client that names no users")
    client_welcome_mail = BooleanField("Mail that account a welcome with a password link")
    client_welcome_subject = StringField("Welcome mail subject", validators=[Length(max=200)])
    client_welcome_body = TextAreaField(
        "Welcome mail text",
        description=f"Placeholders: {MAIL_PLACEHOLDERS}.",
        render_kw={"rows": 8},
    )
    signup_platforms = _Checkboxes("Platforms offered for sign-up", coerce=int,
                                   validate_choice=False)
    signup_profiles = _Checkboxes("Install profiles offered for sign-up", validate_choice=False)
    signup_rate_limit = IntegerField(
        "Sign-ups per address and hour",
        validators=[InputRequired("Enter a number of sign-ups."), NumberRange(min=1, max=1000)],
    )
    signup_subject = StringField("Sign-up mail subject", validators=[Length(max=200)])
    signup_body = TextAreaField(
        "Sign-up mail text",
        description="Placeholders: $name, $site, $username, $link, $hours.",
        render_kw={"rows": 8},
    )
    submit = SubmitField("Save settings")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = sites.offered_platforms()
        profiles = sites.profiles_by_platform()
        self.signup_platforms.choices = [(p.id, p.name) for p in offered]
        every = sorted({name for p in offered for name in profiles.get(p.id, [])})
        self.signup_profiles.choices = [(name, name) for name in every]
