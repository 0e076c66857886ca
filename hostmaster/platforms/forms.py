"""The form that registers a platform (a codebase on a web server)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget

from ..extensions import db
from ..models import Client, Platform, Server, store_id
from ..services.clients import list_clients
from ..services.servers import web_servers


class PlatformAddForm(FlaskForm):
    """Name, root path, the web server that publishes it, and an optional makefile."""

    name = StringField(
        "Name",
        description="A short machine name: lower-case letters, digits, _ and -, "
        "e.g. drupal7_103.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    root = StringField(
        "Root path",
        description="The absolute path of the codebase, e.g. /var/aegir/platforms/drupal-7.103.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    web_server = SelectField("Web server", coerce=store_id, validate_choice=False)
    makefile = StringField(
        "Makefile",
        description="Optional: an absolute path or an https:// address; it is recorded only.",
    )
    submit = SubmitField("Add platform")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.web_server.choices = [SelectChoice(str(s.id), s.title) for s in web_servers()]

    def chosen_server(self) -> Server | None:
        """The server picked in the form (the service checks that it can publish platforms)."""
        chosen = self.web_server.data
        return db.session.get(Server, chosen) if isinstance(chosen, int) else None


class PlatformClientsForm(FlaskForm):
    """The clients a platform is limited to; none checked: open to every client."""

    clients = SelectMultipleField("Clients", coerce=int, validate_choice=True,
                                  widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())
    submit = SubmitField("Save")

    def __init__(self, platform: Platform, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("clients", [c.id for c in platform.clients])
        super().__init__(*args, **kwargs)
        self.clients.choices = [(c.id, c.name) for c in list_clients()]

    def chosen_clients(self) -> list[Client]:
        """The clients checked."""
        return [c for c in list_clients() if c.id in (self.clients.data or [])]
