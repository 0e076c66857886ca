"""Sites' HTTPS: the mode an admin sets (off, enabled, required) and HSTS, the certificate each
site serves (from install, verify and renewal results), and the renewal queue's back-off.

Changing the mode queues a verify, which writes the HTTPS vhost and asks the ACME CA (the
``acme_*`` settings, handed to provision as properties of @server_master) for a certificate;
until it arrives the site serves a self-signed one.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from provision.validation import HTTPS_MODES

from ..extensions import db
from ..models import Site, SiteHttps, SiteStatus, Task, utcnow
from . import settings
from .errors import ValidationError

#: The ACME CAs the settings offer, by choice.
ACME_DIRECTORIES = {
    "letsencrypt": "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt_staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
#: After a failed renewal the queue waits this long, doubled per failure, at most a day.
FIRST_RETRY = timedelta(hours=1)
LONGEST_RETRY = timedelta(days=1)


def https_of(site: Site) -> SiteHttps:
    """The site's HTTPS row; a new one (off, not added to the session) when it has none."""
    row = db.session.get(SiteHttps, site.id)
    return row if row is not None else SiteHttps(site_id=site.id, mode="off", hsts=False,
                                                 source="acme", names=[], error="", failures=0)


def _stored(site: Site) -> SiteHttps:
    row = db.session.get(SiteHttps, site.id)
    if row is None:
        row = https_of(site)
        db.session.add(row)
    return row


def check_mode(mode: Any) -> str:
    """The mode, checked: one of HTTPS_MODES."""
    value = str(mode or "").strip().lower()
    if value not in HTTPS_MODES:
        raise ValidationError({"https": [
            f"Choose how the site answers HTTPS: {', '.join(HTTPS_MODES)}."]})
    return value


def set_https(site: Site, mode: Any, hsts: bool, *, user: Any = None) -> bool:
    """Set the site's HTTPS mode and HSTS; queue a verify of an enabled site when either
    changed (the caller commits). True when something changed. HSTS needs HTTPS."""
    from . import tasks

    checked = check_mode(mode)
    if hsts and checked == "off":
        raise ValidationError({"hsts": ["HSTS tells browsers to use only HTTPS: turn HTTPS "
                                        "on first."]})
    if site.status == SiteStatus.DELETED:
        raise ValidationError({"": [f"{site.uri} is deleted; its HTTPS can no longer change."]})
    current = https_of(site)
    if current.mode == checked and current.hsts == bool(hsts):
        return False
    row = _stored(site)
    row.mode, row.hsts = checked, bool(hsts)
    row.error, row.failures, row.retry_at = "", 0, None
    if site.status == SiteStatus.ENABLED:
        tasks.queue(site, "verify", user=user, commit=False)
    return True


def context_properties(site: Site) -> dict[str, Any]:
    """What provision's site context says of HTTPS."""
    row = https_of(site)
    return {"https": row.mode, "hsts": row.hsts, "https_certificate": row.source}


def acme_properties() -> dict[str, Any]:
    """The ACME settings as properties of @server_master (none when no CA is chosen)."""
    choice = str(settings.get("acme_ca") or "none")
    directory = ACME_DIRECTORIES.get(choice) or (
        settings.get("acme_directory_url") if choice == "custom" else "")
    if not directory:
        return {}
    properties = {"acme_directory_url": directory}
    for name in ("acme_email", "acme_ca_bundle"):
        if settings.get(name):
            properties[name] = settings.get(name)
    return properties


def upload(site: Site, certificate_pem: str, key_pem: str, *, user: Any = None) -> Task:
    """Check an uploaded certificate (with its chain) and key against the site's domains, leave
    both in the aegir root's ``config/.uploads/`` (0600) and queue the task that serves them;
    from then on the CA never replaces the site's certificate. The caller commits."""
    from provision.tls.certificates import upload_problems
    from provision.tls.site_tls import UPLOADS

    from . import tasks

    if https_of(site).mode == "off":
        raise ValidationError({"certificate": [
            "Turn HTTPS on (enabled or required) before uploading a certificate."]})
    domains = [site.uri, *(alias.alias for alias in site.aliases if alias.alias != site.uri)]
    problems = upload_problems(certificate_pem, key_pem, domains)
    if problems:
        raise ValidationError({"certificate": problems})
    folder = Path(current_app.config["AEGIR_ROOT"]) / UPLOADS
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_hex(8)
    files = {"certificate_file": folder / f"{site.id}-{token}.pem",
             "key_file": folder / f"{site.id}-{token}.key"}
    for path, text in zip(files.values(), (certificate_pem, key_pem), strict=True):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
    task = tasks.queue(site, "certificate-upload", {key: str(path) for key, path in files.items()},
                       user=user, commit=False)
    _stored(site).source = "uploaded"
    return task


def _moment(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment.replace(tzinfo=None) - (moment.utcoffset() or timedelta())


def record_certificate(site: Site, facts: Any) -> None:
    """Keep what a result says of the site's certificate (``certificate``: names, not_after,
    serial, issuer, self_signed); a renewal that succeeded clears the back-off."""
    if not isinstance(facts, dict):
        return
    row = _stored(site)
    row.expires_at = _moment(facts.get("not_after"))
    row.issuer = str(facts.get("issuer") or "")[:255]
    row.serial = str(facts.get("serial") or "")[:64]
    row.self_signed = bool(facts.get("self_signed"))
    row.names = [str(name)[:253] for name in facts.get("names") or []][:100]


def renewed(site: Site, facts: Any) -> None:
    """A renewal succeeded: its certificate kept, the back-off cleared."""
    record_certificate(site, facts)
    row = _stored(site)
    row.error, row.failures, row.failed_at, row.retry_at = "", 0, None, None


def renewal_failed(site: Site, reason: str, now: datetime | None = None) -> None:
    """A renewal failed: why, and when the queue tries again (1 h, doubled per failure, at
    most a day). The old certificate keeps serving."""
    now = now or utcnow()
    row = _stored(site)
    row.error = reason[:2000] or "The renewal failed without saying why."
    row.failures += 1
    row.failed_at = now
    row.retry_at = now + min(FIRST_RETRY * 2 ** (row.failures - 1), LONGEST_RETRY)


def failed_renewals(viewer: Any, limit: int = 5) -> list[Site]:
    """Enabled sites ``viewer`` may see whose last certificate renewal failed (the dashboard's
    warning), the oldest failure first."""
    from .. import access

    query = (select(Site).join(SiteHttps, SiteHttps.site_id == Site.id)
             .where(Site.status == SiteStatus.ENABLED, SiteHttps.mode != "off",
                    SiteHttps.error != "")
             .order_by(SiteHttps.failed_at, Site.id))
    return list(db.session.scalars(access.visible(query, Site, viewer).limit(limit)))


def renew_days() -> int:
    return int(settings.get("certificate_renew_days") or 30)
