"""Engine settings for the two supported stores (an SQLite file and MySQL/MariaDB), and the
privacy of the files that hold the store and its keys."""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine

from provision.services.db.connection import on_this_machine

from .private_files import (
    FILE_MODE,
    FOLDER_MODE,
    create_private_file,
    make_private,
)

_LIMITED: weakref.WeakSet[Engine] = weakref.WeakSet()

# SQLite's own files beside the store; it gives them the store file's mode.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def engine_options(url: str) -> dict[str, Any]:
    """Engine options that suit the store behind ``url``."""
    if url.startswith("sqlite"):
        # The dispatcher and the web process write at the same time: wait for locks, not fail.
        return {"connect_args": {"timeout": 30}}
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_recycle": 3600,
        # Each poll of the dispatcher must see what other processes committed.
        "isolation_level": "READ COMMITTED",
    }
    parsed = make_url(url)
    if parsed.get_backend_name() == "mysql" and on_this_machine(
            parsed.host, parsed.query.get("unix_socket")):  # type: ignore[arg-type]
        # A store on this machine: no TLS context per connection (see provision's connect).
        options["connect_args"] = {"ssl_disabled": True}
    return options


def configure_sqlite(engine: Engine) -> None:
    """Turn on WAL (readers never block the writer), foreign keys and a busy timeout; a new
    store file is created 0600 before SQLite opens it (SQLite would follow the umask). A
    missing folder is left missing: opening the store then fails with a clear error."""
    if engine.dialect.name != "sqlite":
        return
    store = sqlite_file(str(engine.url))

    @event.listens_for(engine, "do_connect")
    def _private_file(_dialect: Any, _record: Any, _cargs: Any, _cparams: Any) -> None:
        if store is not None and store.parent.is_dir():
            create_private_file(store)

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
def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite store, or None (MariaDB, or an in-memory store)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def make_store_private(url: str, var_dir: Path, key_files: list[Path]) -> list[str]:
    """Take from others what they may do with the SQLite store file, the key files and
    ``var_dir`` when one of them is in it (a folder elsewhere may be shared, so only its files
    are changed). Returns a sentence for each thing changed or not changeable. (A new store
    file is created 0600 when SQLite first opens it: see :func:`configure_sqlite`.)
    """
    files = list(key_files)
    store = sqlite_file(url)
    if store is not None:
        files += [store, *(Path(f"{store}{suffix}") for suffix in SQLITE_COMPANIONS)]
    changed = [make_private(path, FILE_MODE) for path in files]
    if any(path.parent.resolve() == var_dir.resolve() for path in files):
        changed.append(make_private(var_dir, FOLDER_MODE))
    return [sentence for sentence in changed if sentence]
