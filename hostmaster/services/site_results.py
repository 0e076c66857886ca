"""What site tasks leave in the store: login links, backups, and the end of a deleted site."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from ..extensions import db
from ..models import PackageInstance, Site, SiteBackup, SiteStatus, utcnow
from ..store_secrets import SecretsUnreadable
from . import contexts, packages, site_https

log = logging.getLogger(__name__)

LOGIN_LINK_LIFETIME = timedelta(hours=24)


def remember_login_link(site: Site, link: str) -> None:
    """Cache a one-time login link for 24 hours (the caller commits)."""
    site.login_link = link[:2048]
    site.login_link_expires_at = utcnow() + LOGIN_LINK_LIFETIME if link else None


def fresh_login_link(site: Site) -> str | None:
    """The cached login link while it is unused and younger than 24 hours, else None (also
    when the key of the store's secrets cannot decrypt it: a login-reset makes a new one)."""
    expires = site.login_link_expires_at
    if not site.login_link_encrypted or expires is None or expires <= utcnow():
        return None
    try:
        return site.login_link
    except SecretsUnreadable as exc:
        log.warning("The login link of %s is not offered: %s", site.uri, exc)
        return None


def spend_login_link(site: Site) -> str | None:
    """The fresh login link, forgotten as it is handed out (it works once); None if there is
    none. Commits."""
    link = fresh_login_link(site)
    if link is not None:
        site.login_link = ""
        site.login_link_expires_at = None
        db.session.commit()
    return link


def site_url(site: Site) -> str:
    """The address of the site itself."""
    return f"http://{site.uri}/"


def store_verified(site: Site, result: dict[str, Any]) -> None:
    """What a verify, install or import found: database name, cron key and packages."""
    site.verified_at = utcnow()
    if result.get("db_name"):
        site.db_name = str(result["db_name"])[:64]
    if result.get("cron_key"):
        site.cron_key = str(result["cron_key"])[:128]
    for key in ("profile", "language"):
        if result.get(key):
            setattr(site, key, str(result[key])[: 64 if key == "profile" else 12])
    if "packages" in result:
        packages.sync("site", site.id, list(result.get("packages") or []))
    if result.get("certificate"):
        site_https.record_certificate(site, result["certificate"])


def record_backup(site: Site, result: dict[str, Any], description: str) -> SiteBackup | None:
    """A backup row from a result's ``backup_file`` and ``backup_file_size`` (caller commits);
    None when the result names no file."""
    filename = str(result.get("backup_file") or "")
    if not filename:
        return None
    try:
        size = int(result.get("backup_file_size") or 0)
    except (TypeError, ValueError):
        size = 0
    master = contexts.master_server()
    backup = SiteBackup(
        site_id=site.id,
        server_id=master.id if master is not None else None,
        filename=filename[:1024],
        size=size,
        description=(description or "Generated on request")[:255],
        created_at=utcnow(),
    )
    db.session.add(backup)
    return backup


def forget_deleted_site(site: Site) -> None:
    """A deleted site: DELETED, its context name and packages gone, its domain free again; its
    tasks, backups and aliases stay as history (the caller commits)."""
    site.status = SiteStatus.DELETED
    site.login_link = ""
    site.login_link_expires_at = None
    contexts.unregister(site)
    db.session.execute(
        delete(PackageInstance).where(
            PackageInstance.owner_kind == "site", PackageInstance.owner_id == site.id
        )
    )
