"""The sign-up form: name, e-mail, the site's domain, and a platform and profile offered."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from ..models import store_id
from ..services.signup import Offer, SignupRequest
from ..services.site_domains import MAX_DOMAIN


class SignupForm(FlaskForm):
    """What a visitor gives to get a site."""

    name = StringField(
        "Your name",
        validators=[InputRequired("Enter your name (or your organisation's)."), Length(max=255)],
        render_kw={"autocomplete": "name", "autofocus": True},
    )
    email = EmailField(
        "E-mail address",
        validators=[InputRequired("Enter your e-mail address."), Length(max=254)],
        description="We mail you a link to set your password.",
        render_kw={"autocomplete": "email"},
    )
    uri = StringField(
        "Your site's domain",
        validators=[InputRequired("Enter your site's domain, e.g. www.example.com."),
                    Length(max=MAX_DOMAIN)],
        description="e.g. www.example.com",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    platform = SelectField("Platform", coerce=store_id, validate_choice=False)
    profile = SelectField("Install profile", validate_choice=False)
    submit = SubmitField("Sign up")

    def __init__(self, offers: list[Offer], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.platform.choices = [
            SelectChoice(str(o.platform.id), o.platform.name,
                         render_kw={"data-profiles": " ".join(o.profiles)})
            for o in offers
        ]
        every = sorted({p for o in offers for p in o.profiles})
        self.profile.choices = [SelectChoice("", "The platform's default")] + [
            SelectChoice(name, name) for name in every
        ]

    def request(self) -> SignupRequest:
        """The sign-up as the service takes it."""
        return SignupRequest(
            name=self.name.data or "",
            email=self.email.data or "",
            uri=self.uri.data or "",
            platform_id=self.platform.data,
            profile=self.profile.data or "",
        )
