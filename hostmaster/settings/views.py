"""The Settings page (Administration › Settings): the panel's public address, mail, site
defaults, and every other setting with the page that changes it; a test mail."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import access
from ..models import MailStatus
from ..services import mail, outbox, settings
from ..services.errors import ValidationError
from ..services.setting_checks import shown
from ..services.setting_registry import ENVIRONMENT, GROUPS, in_group
from ..ui import apply_errors
from .forms import EDITED_HERE, SettingsGroupForm, SettingsTestMailForm, group_form

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")


@bp.before_request
def administrators_only() -> None:
    """Settings are the hosting admin's business."""
    access.require("administer hosting settings")


def _page(forms: dict[str, SettingsGroupForm] | None = None,
          test_form: SettingsTestMailForm | None = None) -> str:
    forms = {group: (forms or {}).get(group) or group_form(group) for group in EDITED_HERE}
    elsewhere = {group: in_group(group) for group in GROUPS if group not in EDITED_HERE}
    # What commands set in the groups edited here (the published panel ...), shown only.
    by_commands = {group: [spec for spec in in_group(group) if not spec.settable]
                   for group in EDITED_HERE}
    return render_template(
        "settings/index.html",
        groups=GROUPS,
        forms=forms,
        elsewhere=elsewhere,
        by_commands=by_commands,
        values={spec.name: settings.get(spec.name)
                for specs in [*elsewhere.values(), *by_commands.values()] for spec in specs},
        test_form=test_form or SettingsTestMailForm(formdata=None,
                                                    data={"to": current_user.email}),
        environment=[(name, variable, text, current_app.config.get(name))
                     for name, variable, text in ENVIRONMENT],
        public_url=settings.public_url(),
        smtp=mail.server_name(),
        failed_mails=outbox.status_counts()[MailStatus.FAILED],
    )


@bp.route("")
def index() -> str:
    """Every setting: the panel, mail and site groups as forms, the others with their page."""
    return _page()


@bp.route("/<group>", methods=["POST"])
def save(group: str) -> Response | str:
    """Save the settings of one group (all of them, or none when one is not acceptable)."""
    if group not in EDITED_HERE:
        abort(404)
    form = group_form(group, submitted=True)
    if form.validate_on_submit():
        try:
            settings.save(form.values())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(f"The {GROUPS[group].lower()} settings are saved.", "success")
            return redirect(url_for("settings.index", _anchor=f"group-{group}"))
    return _page({group: form})


@bp.route("/test-mail", methods=["POST"])
def test_mail() -> Response | str:
    """Send a test mail through the saved mail settings, and say how it went."""
    form = SettingsTestMailForm()
    if not form.validate_on_submit():
        return _page(test_form=form)
    to = (form.to.data or "").strip()
    sent = outbox.send(to, "Hostmaster test mail",
                       "This mail was sent from the Settings page of Hostmaster to check its "
                       f"mail settings (SMTP server {mail.server_name()}).\n", "test")
    if sent.status == MailStatus.SENT:
        flash(f"The test mail went to {to} through {mail.server_name()}.", "success")
    else:
        flash(f"{outbox.failure(sent)} Check the mail settings, save them, and try again.",
              "error")
    return redirect(url_for("settings.index", _anchor="group-mail"))


bp.add_app_template_global(shown, "shown_setting")
