"""Engine settings for the two supported stores: an SQLite file and MySQL/MariaDB."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_LIMITED: weakref.WeakSet[Engine] = weakref.WeakSet()


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


def limit_waits(engine: Engine, seconds: float) -> None:
    """Make the MySQL connections ``engine`` opens from now on give up on a store that does
    not answer within ``seconds`` (connecting, reading or writing); 0 leaves them unlimited.

    The dispatcher sets this: without it a stalled network would hold its heartbeat in a read
    until the leases it should renew ran out. A statement that waits for a lock longer than
    that (another session's LOCK TABLES) fails too, and the dispatcher tries it again. Other
    processes keep PyMySQL's defaults (a migration may run long statements).
    """
    if engine.dialect.name != "mysql" or seconds <= 0 or engine in _LIMITED:
        return
    _LIMITED.add(engine)

    @event.listens_for(engine, "do_connect")
    def _with_limits(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        cparams.setdefault("connect_timeout", max(1, round(seconds)))
        cparams.setdefault("read_timeout", seconds)
        cparams.setdefault("write_timeout", seconds)

    engine.dispose()  # connections opened before the limit would keep waiting forever
