"""Engine settings for the two supported stores: an SQLite file and MySQL/MariaDB."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def engine_options(url: str) -> dict[str, Any]:
    """Engine options that suit the store behind ``url``."""
    if url.startswith("sqlite"):
        # The dispatcher and the web process write at the same time: wait for locks, not fail.
        return {"connect_args": {"timeout": 30}}
    return {
        "pool_pre_ping": True,
        "pool_recycle": 3600,
        # Each poll of the dispatcher must see what other processes committed.
        "isolation_level": "READ COMMITTED",
    }


def configure_sqlite(engine: Engine) -> None:
    """Turn on WAL (readers never block the writer), foreign keys and a busy timeout."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
