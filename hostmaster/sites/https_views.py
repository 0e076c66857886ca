"""A site's HTTPS page: the mode (off, enabled, required), HSTS, and the certificate it serves
with its expiry and the last renewal's failure. Saving queues a verify of the site."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from .. import access
from ..extensions import db
from ..models import Site, SiteStatus
from ..services import inventory_queries, site_https
from ..services.errors import ValidationError
from ..ui import apply_errors
from .views import bp

MODES = [SelectChoice("off", "Off: HTTP only"),
         SelectChoice("enabled", "Enabled: HTTP and HTTPS both serve the site"),
         SelectChoice("required", "Required: HTTP answers with a redirect to HTTPS")]


class SiteHttpsForm(FlaskForm):
    """The mode and HSTS."""

    https = SelectField("HTTPS", choices=MODES, validate_choice=False)
    hsts = BooleanField("HSTS: tell browsers to use only HTTPS for this site for a year")
    submit = SubmitField("Save")


class CertificateUploadForm(FlaskForm):
    """A certificate (with its chain) and its key, pasted as PEM."""

    certificate = TextAreaField(
        "Certificate and chain (PEM)", validators=[InputRequired(
            message="Paste the certificate, then the intermediate certificates.")],
        description="-----BEGIN CERTIFICATE----- blocks: the site's first, then the ones that "
        "issued it.", render_kw={"rows": 6, "spellcheck": "false"})
    key = TextAreaField(
        "Private key (PEM, without a passphrase)", validators=[InputRequired(
            message="Paste the certificate's private key.")],
        render_kw={"rows": 4, "spellcheck": "false", "autocomplete": "off"})
    upload = SubmitField("Upload and serve")


@bp.route("/<int:entity_id>/https", methods=["GET", "POST"])
def https(entity_id: int) -> Response | str:
    """Show and change the site's HTTPS; saving queues its verify."""
    site = access.get_or_404(Site, entity_id, action="edit")
    row = site_https.https_of(site)
    form = SiteHttpsForm(data={"https": row.mode, "hsts": row.hsts})
    upload = CertificateUploadForm(prefix="upload")
    if upload.upload.data and site.status != SiteStatus.DELETED:
        if upload.validate_on_submit():
            try:
                site_https.upload(site, upload.certificate.data or "", upload.key.data or "",
                                  user=current_user._get_current_object())
                db.session.commit()
            except ValidationError as error:
                db.session.rollback()
                apply_errors(upload, error)
            else:
                flash(f"The certificate of {site.uri} is checked; the task that serves it is "
                      "queued.", "success")
                return redirect(url_for("sites.show", entity_id=site.id))
    elif form.validate_on_submit() and site.status != SiteStatus.DELETED:
        try:
            changed = site_https.set_https(site, form.https.data, bool(form.hsts.data),
                                           user=current_user._get_current_object())
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            flash(f"HTTPS of {site.uri} saved; its verify is queued." if changed
                  else "Nothing changed.", "success")
            return redirect(url_for("sites.show", entity_id=site.id))
    return render_template("sites/https.html", form=form, upload=upload, site=site, row=row,
                           kind_counts=inventory_queries.package_kind_counts("site", site.id),
                           renew_days=site_https.renew_days(),
                           ca_set=bool(site_https.acme_properties()))
