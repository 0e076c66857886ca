"""Settings: typed values with defaults, read and written through one place."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import Setting

DEFAULTS: dict[str, Any] = {
    # A newly verified platform starts LOCKED (not offered for new sites) when this is on.
    "lock_platforms_by_default": False,
    # Finished tasks (and their logs) older than this many days are collected by the garbage
    # queue, except each entity's newest task of each type (0 = keep forever).
    "task_retention_days": 90,
    # A site must be disabled before it can be deleted (the original's default).
    "require_disable_before_delete": True,
    # Where the welcome mail of a new site goes out, and whom it is from.
    "smtp_host": "localhost",
    "smtp_port": 25,
    "mail_from": "hostmaster@localhost.localdomain",
    # Retention of the backup queue's backups (hostmaster/queues/retention.py); sites may
    # set their own.
    "backup_keep_last": 3,
    "backup_keep_daily": 7,
    "backup_keep_weekly": 4,
    "backup_keep_monthly": 3,
}


def get(name: str) -> Any:
    """The value of setting ``name``, or its default."""
    row = db.session.get(Setting, name)
    return row.value if row is not None else DEFAULTS.get(name)


def put(name: str, value: Any) -> None:
    """Store a setting (the caller commits)."""
    row = db.session.get(Setting, name)
    if row is None:
        db.session.add(Setting(name=name, value=value))
    else:
        row.value = value
