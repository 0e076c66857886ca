"""Confirm dialogs of restore, backup-delete, migrate and clone: which backup, which target.

Each form is built with the site it works on (``entity``); its choices are the site's
backups, or the platforms of its application on any web server, those it may not move to
shown disabled with the reason (services.migration_targets), which is also the error when one
is sent anyway (by the API or the command line).
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, url_for
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..extensions import db
from ..models import Platform, Site, SiteBackup, store_id
from ..services.migration_targets import MigrationTarget, migration_targets, refusal_of
from ..services.package_comparison import downgrade_of
from ..services.site_domains import MAX_DOMAIN as SITE_DOMAIN_MAX
from ..services.site_domains import check_site_domain, normalise
from ..services.sites import db_servers
from .forms import TaskForm


def _site(form: TaskForm) -> Site | None:
    """The site the form's task works on."""
    return form.entity if isinstance(form.entity, Site) else None


def site_backups(site: Site | None) -> list[SiteBackup]:
    """The site's backups, newest first."""
    if site is None:
        return []
    return list(
        db.session.scalars(
            select(SiteBackup)
            .where(SiteBackup.site_id == site.id)
            .order_by(SiteBackup.created_at.desc(), SiteBackup.id.desc())
        )
    )


def backup_label(backup: SiteBackup) -> str:
    """``2026-11-22 06:20 — 1.2 MB — Generated on request``."""
    size = (
        f"{backup.size / 1_000_000:.1f} MB"
        if backup.size >= 100_000
        else (f"{backup.size / 1000:.1f} kB")
    )
    return f"{backup.created_at:%Y-%m-%d %H:%M:%S} — {size} — {backup.description}"


class SiteRestoreForm(TaskForm):
    """Restore: one of the site's backups."""

    backup_id = RadioField(
        "Backup", coerce=int, validators=[InputRequired(message="Choose the backup to restore.")]
    )
    submit = SubmitField("Restore")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        backups = site_backups(_site(self))
        self.backup_id.choices = [(b.id, backup_label(b)) for b in backups]
        self.backup_id.description = (
            "The site is backed up first, then put back as the chosen backup holds it."
            if backups
            else "This site has no backups yet; back it up first."
        )

    def arguments(self) -> dict[str, Any]:
        """``backup_id``."""
        return {"backup_id": int(self.backup_id.data)}


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SiteBackupDeleteForm(TaskForm):
    """Backup delete: any of the site's backups."""

    backup_ids = MultiCheckboxField(
        "Backups",
        coerce=int,
        validators=[InputRequired(message="Choose at least one backup to delete.")],
    )
    submit = SubmitField("Delete backups")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.backup_ids.choices = [(b.id, backup_label(b)) for b in site_backups(_site(self))]

    def arguments(self) -> dict[str, Any]:
        """``backup_ids``."""
        return {"backup_ids": [int(value) for value in self.backup_ids.data or []]}


def _target_label(site: Site, target: MigrationTarget) -> Markup:
    """The platform's name (and web server, when it is another), for another platform its
    comparison figures and link (a form only checked, outside a request, has no link), and
    why the site may not go there."""
    platform, counts = target.platform, target.comparison.counts
    name = platform.name
    if platform.web_server_id != site.platform.web_server_id:
        name = f"{platform.name} on {platform.web_server.title}"
    label = Markup(escape(name))
    if platform.id != site.platform_id and has_request_context():
        link = url_for("sites.compare", site_id=site.id, platform_id=platform.id)
        figures = (
            f"upgrades {counts.get('upgrade', 0)}, warnings "
            f"{counts.get('missing', 0) + counts.get('downgrade', 0)}, errors "
            f"{counts.get('error', 0)}"
        )
        label = Markup('{} ({} | <a href="{}">Compare</a>)').format(label, figures, link)
    if target.refusal:
        label = Markup('{} <span class="refusal">Not possible: {}</span>').format(
            label, target.refusal)
    return label


def target_choices(
    site: Site | None, targets: list[MigrationTarget]
) -> list[tuple[int, Markup, dict[str, Any]]]:
    """Every platform listed for the site, those it may not move to disabled."""
    if site is None:
        return []
    return [(t.platform.id, _target_label(site, t), {"disabled": True} if t.refusal else {})
            for t in targets]


class SiteMigrateForm(TaskForm):
    """Migrate: another platform, database server and/or domain."""

    target_platform = RadioField(
        "Platform",
        coerce=int,
        validators=[InputRequired(message="Choose the platform the site moves to.")],
        validate_choice=False,  # validate() names the reason a platform is refused
    )
    target_db_server = SelectField("Database server", coerce=store_id, validate_choice=False)
    new_uri = StringField(
        "Domain",
        validators=[Length(max=SITE_DOMAIN_MAX)],
        description="Leave it as it is to keep the site's domain.",
    )
    keep_old_uri = BooleanField(
        "Keep the old domain as an alias that redirects",
        false_values=(False, "", "false", "False", "0"),
        description="After the rename, visitors of the old domain are sent on to the new one.",
    )
    allow_downgrade = BooleanField(
        "Allow a downgrade",
        false_values=(False, "", "false", "False", "0"),  # as the API's JSON false arrives
        description="Move the site even to a platform whose version is older than its own.",
    )
    submit = SubmitField("Migrate")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = _site(self)
        self.targets = migration_targets(self.site) if self.site is not None else []
        self.target_platform.choices = target_choices(self.site, self.targets)
        self.target_db_server.choices = [(s.id, s.title) for s in db_servers()]
        if self.site is not None and self.target_platform.raw_data is None:  # shown, not sent
            self.target_platform.data = self.site.platform_id
            self.target_db_server.data = self.site.db_server_id or 0
            self.new_uri.data = self.site.uri

    def validate(self, extra_validators: Any = None) -> bool:
        """The usual checks, then: the database server is one offered, the domain is free,
        and something changes."""
        valid = super().validate(extra_validators)
        if self.site is None:
            return False
        offered = {value for value, _label in self.target_db_server.choices or []}
        if self.target_db_server.data is None:
            self.target_db_server.data = self.site.db_server_id
        elif self.target_db_server.data not in offered:
            self.target_db_server.errors = [*self.target_db_server.errors,
                                            "Choose one of the database servers offered."]
            valid = False
        if not valid:
            return False
        refusal = refusal_of(self.site, self.target_platform.data, self.targets)
        if refusal:
            self.target_platform.errors.append(f"{refusal} Choose another platform.")
            return False
        target = db.session.get(Platform, self.target_platform.data)
        downgrade = downgrade_of(self.site.platform, target) if target is not None else None
        if downgrade and not self.allow_downgrade.data:
            self.target_platform.errors.append(
                f"{downgrade} Choose another platform, or confirm with Allow a downgrade.")
            return False
        uri = normalise(self.new_uri.data or "") or self.site.uri
        if uri != self.site.uri:
            # One of the site's own aliases may become its domain (foo.com to www.foo.com).
            problem = check_site_domain(uri, ignore_site_id=self.site.id)
            if problem:
                self.new_uri.errors.append(problem)
                return False
        elif self.keep_old_uri is not None and self.keep_old_uri.data:
            self.keep_old_uri.errors.append(
                "The old domain can only be kept when the domain changes; enter the new "
                "domain, or leave this unchecked.")
            return False
        elif (
            self.target_platform.data == self.site.platform_id
            and self.target_db_server.data == self.site.db_server_id
        ):
            self.target_platform.errors.append(
                "Choose another platform, database server or domain: this changes nothing."
            )
            return False
        return True

    def arguments(self) -> dict[str, Any]:
        """``target_platform``, ``target_db_server`` and ``new_uri`` (None when unchanged), and
        ``allow_downgrade`` when confirmed (so that Run again is allowed it too)."""
        assert self.site is not None
        uri = normalise(self.new_uri.data or "")
        db_server = self.target_db_server.data
        arguments: dict[str, Any] = {
            "target_platform": int(self.target_platform.data),
            "target_db_server": db_server if db_server != self.site.db_server_id else None,
            "new_uri": uri if uri and uri != self.site.uri else None,
        }
        if self.allow_downgrade.data:
            arguments["allow_downgrade"] = True
        if self.keep_old_uri is not None and self.keep_old_uri.data:
            arguments["keep_old_uri"] = True
        return arguments


class SiteCloneForm(SiteMigrateForm):
    """Clone: a new domain, on the same or another platform."""

    keep_old_uri = None  # the original keeps its domain
    submit = SubmitField("Clone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new_uri.description = "The domain of the copy."
        if self.new_uri.raw_data is None:  # shown, not sent
            self.new_uri.data = ""

    def validate(self, extra_validators: Any = None) -> bool:
        """A new, free domain is required."""
        uri = normalise(self.new_uri.data or "")
        if self.site is not None and (not uri or uri == self.site.uri):
            super().validate(extra_validators)
            self.new_uri.errors = [
                *self.new_uri.errors,
                "Enter a new domain for the copy of the site.",
            ]
            return False
        return super().validate(extra_validators)

    def arguments(self) -> dict[str, Any]:
        """``new_uri``, ``target_platform`` and ``target_db_server``."""
        arguments = super().arguments()
        arguments["new_uri"] = arguments["new_uri"] or ""
        return arguments
