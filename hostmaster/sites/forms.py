"""The site forms: a new site (domain, client, platform, profile, language, database server,
aliases) and the edit form of an existing one (only client and aliases may change)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from .. import access
from ..extensions import db
from ..models import Client, Platform, Server, Site, store_id
from ..plugin_forms import plugin_values
from ..services import clients, features, settings, site_aliases, sites
from ..services.site_domains import MAX_DOMAIN, parse_aliases


def _client_choices() -> list[SelectChoice]:
    found = [c for c in clients.list_clients() if access.may_use_client(current_user, c)]
    if not found:
        return [SelectChoice("", "Default client (created with the site)")]
    return [SelectChoice(str(c.id), c.name) for c in found]


class _SiteClientAliases(FlaskForm):
    """The fields a site keeps editable: client and aliases."""

    client = SelectField("Client", coerce=store_id, validate_choice=False)
    aliases = TextAreaField(
        "Aliases",
        description="Other domains that serve the site, one per line, e.g. example.com for "
        "www.example.com.",
        render_kw={"rows": 3, "spellcheck": "false", "autocomplete": "off"},
    )
    redirect_aliases = TextAreaField(
        "Aliases that redirect",
        description="Other domains whose visitors are sent on to the site's domain (a "
        "permanent redirect that keeps the path), one per line.",
        render_kw={"rows": 2, "spellcheck": "false", "autocomplete": "off"},
    )

    def chosen_client(self) -> Client | None:
        """The client picked (None: the default client, when no client exists yet)."""
        chosen = self.client.data
        return db.session.get(Client, chosen) if isinstance(chosen, int) else None

    #: The site's served and redirecting aliases as stored (a new site has none); kept while
    #: the feature is off.
    kept_aliases: tuple[list[str], list[str]] = ([], [])

    def alias_lists(self) -> tuple[list[str], list[str]]:
        """The aliases typed that serve the site and those that redirect, one per line; while
        the site aliases feature is off, the site's own, whatever was sent."""
        if not features.enabled("site_aliases"):
            return self.kept_aliases
        return (parse_aliases(self.aliases.data or ""),
                parse_aliases(self.redirect_aliases.data or ""))


class SiteAddForm(_SiteClientAliases):
    """Everything a new site needs; saving queues its install."""

    uri = StringField(
        "Domain",
        description="The site's address in lower case, e.g. www.example.com "
        f"(at most {MAX_DOMAIN} characters).",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    profile = SelectField("Install profile", validate_choice=False)
    platform = SelectField("Platform", coerce=store_id, validate_choice=False)
    language = StringField("Language", description="A language code, e.g. en.")
    db_server = SelectField("Database server", coerce=store_id, validate_choice=False)
    submit = SubmitField("Create site")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("language", settings.get("site_language"))
        super().__init__(*args, **kwargs)
        choices = _client_choices()
        if len(choices) > 1:  # several clients: the user chooses; nothing is chosen for them
            choices = [SelectChoice("", "Choose the site's client"), *choices]
        self.client.choices = choices
        profiles = sites.profiles_by_platform()
        offered = [p for p in sites.offered_platforms()
                   if access.may_use_platform(current_user, p)]
        every = sorted({name for p in offered for name in profiles.get(p.id, [])})
        self.profile.choices = [SelectChoice("", "The platform's default")] + [
            SelectChoice(name, name) for name in every
        ]
        # Each platform option lists its profiles, so the page's script can narrow the list.
        self.platform.choices = [
            SelectChoice(
                str(p.id),
                f"{p.name} ({p.application or 'unknown'} {p.version})".replace(" )", ")"),
                render_kw={"data-profiles": " ".join(profiles.get(p.id, []))},
            )
            for p in offered
        ]
        self.db_server.choices = [SelectChoice(str(s.id), s.title) for s in sites.db_servers()]

    def validate_client(self, field: SelectField) -> None:
        """With several clients offered, one must be chosen (a site never silently goes to
        the first one)."""
        if field.data is None and len(field.choices or []) > 1:
            raise ValidationError("Choose the client the site is for.")

    def spec(self) -> sites.SiteSpec:
        """The new site as the service takes it."""
        platform = self.platform.data
        server = self.db_server.data
        aliases, redirect_aliases = self.alias_lists()
        return sites.SiteSpec(
            uri=self.uri.data or "",
            platform=db.session.get(Platform, platform) if isinstance(platform, int) else None,
            client=self.chosen_client(),
            profile=self.profile.data or "",
            language=self.language.data or "",
            db_server=db.session.get(Server, server) if isinstance(server, int) else None,
            aliases=aliases,
            redirect_aliases=redirect_aliases,
            plugin_fields=plugin_values(self),
        )


class SiteEditForm(_SiteClientAliases):
    """A site's client and aliases; saving queues its verify."""

    submit = SubmitField("Save")

    def __init__(self, site: Site, *args: Any, **kwargs: Any) -> None:
        # The stored values, which a submitted form overrides.
        kwargs.setdefault("client", site.client_id)
        # Automatic aliases are made again on saving: only those that redirect are listed.
        kwargs.setdefault("aliases", "\n".join(site_aliases.typed_served(site)))
        kwargs.setdefault("redirect_aliases", "\n".join(site_aliases.redirected(site)))
        super().__init__(*args, **kwargs)
        self.client.choices = _client_choices()
        self.kept_aliases = (site_aliases.typed_served(site), site_aliases.redirected(site))
        automatic = [a for a in site_aliases.automatic(site) if a not in self.kept_aliases[1]]
        if automatic:
            self.aliases.description += (
                f" Automatic, and served unless listed as redirecting: {', '.join(automatic)}.")
