"""Errors as sentences: a store that is missing, unreachable or not migrated, a refused input or
task, each with what to run next. Anything else is a fault: one sentence pointing at
``--debug``, which shows the traceback.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from ..services.errors import TaskNotAvailable, ValidationError
from .output import Refused

#: MariaDB/MySQL client error codes that mean "the server could not be reached".
UNREACHABLE = {2002, 2003, 2005, 2006, 2013}
#: Server error codes that mean "the tables or columns are not there": not migrated.
NOT_MIGRATED = {1146, 1054}
UPGRADE = ("run `hostmaster db upgrade` (or `hostmaster bootstrap`, which also makes the admin "
           "account)")


def store_url() -> URL:
    """The URL of the store this run uses (the app's, else the configuration's)."""
    if has_app_context():
        return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    from ..config import default_config

    return make_url(default_config()["SQLALCHEMY_DATABASE_URI"])


def _shown(url: URL) -> str:
    """The store for people, without its password."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


def require_store() -> None:
    """Refuse, saying what to run, when the SQLite store's folder or file does not exist or the
    file is empty: opening it would write an empty database. (A MariaDB store that cannot be
    reached or is not migrated is explained when the first query fails.)"""
    url = store_url()
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    path = Path(str(url.database))
    if not path.parent.is_dir():
        raise Refused(_missing_folder(path.parent))
    if not path.exists():
        raise Refused(
            f"There is no store at {path} yet: run `hostmaster bootstrap` to create it with the "
            "admin account and this machine's server, or `hostmaster db upgrade` for the "
            "tables alone (HOSTMASTER_DATABASE_URL chooses another store).")
    if path.is_file() and path.stat().st_size == 0:
        raise Refused(f"The store {path} has no tables yet: {UPGRADE}.")


def _missing_folder(folder: Path) -> str:
    return (f"The store's folder {folder} does not exist: create it (`mkdir -p {folder}`) or "
            "set HOSTMASTER_DATABASE_URL to the store you mean.")


def _sqlite_problem(error: sqlite3.Error, url: URL) -> str | None:
    text = str(error)
    path = Path(str(url.database))
    if "unable to open database file" in text:
        if not path.parent.is_dir():
            return _missing_folder(path.parent)
        return (f"The store {path} cannot be opened: check that this user may read and write "
                f"it and its folder {path.parent}.")
    if "no such table" in text or "no such column" in text:
        return f"The store {path} has no tables yet or is from an older version: {UPGRADE}."
    if "database is locked" in text:
        return (f"The store {path} stayed locked by another process for 30 seconds; try again "
                "in a moment.")
    if "readonly database" in text:
        return f"The store {path} is read-only for this user: run hostmaster as its owner."
    if "file is not a database" in text:
        return (f"{path} is not an SQLite database: set HOSTMASTER_DATABASE_URL to the store "
                "you mean.")
    return None


def _mysql_problem(code: int, reason: str, url: URL) -> str | None:
    where = f"{url.host or 'localhost'}:{url.port or 3306}"
    if code in UNREACHABLE:
        return (f"Could not connect to the MariaDB store at {where} ({reason}): check that "
                "MariaDB runs there and that HOSTMASTER_DATABASE_URL names the right host and "
                "port.")
    if code in (1045, 1698):
        return (f"MariaDB at {where} refused the store's user {url.username} (wrong user or "
                "password): check HOSTMASTER_DATABASE_URL.")
    if code == 1044:
        return (f"The store's user {url.username} may not use the database {url.database} on "
                f"{where}: grant it, or check HOSTMASTER_DATABASE_URL.")
    if code == 1049:
        return (f"The database {url.database} does not exist on {where}: create it (CREATE "
                f"DATABASE `{url.database}` CHARACTER SET utf8mb4), then {UPGRADE}.")
    if code in NOT_MIGRATED:
        return f"The store {url.database} on {where} is not migrated: {UPGRADE}."
    return None


def _store_problem(error: sa_exc.DBAPIError) -> str | None:
    """A store error in words, or None when it is not one a person can fix."""
    url = store_url()
    original = error.orig
    if isinstance(original, sqlite3.Error):
        return _sqlite_problem(original, url)
    args = getattr(original, "args", ())
    if args and isinstance(args[0], int):
        reason = str(args[1]) if len(args) > 1 else str(original)
        return _mysql_problem(args[0], _short_reason(reason), url)
    return None


def _short_reason(reason: str) -> str:
    """``Connection refused`` from ``Can't connect to MySQL server on '…' ([Errno 111]
    Connection refused)``."""
    if "]" in reason:
        return reason.rsplit("]", 1)[1].strip(" )") or reason
    return reason


def explain(error: BaseException) -> str | None:
    """The sentence for a user error, or None for a fault (a bug, or a failure no user input
    caused)."""
    if isinstance(error, ValidationError | TaskNotAvailable):
        return str(error)
    if isinstance(error, sa_exc.DBAPIError):
        return _store_problem(error)
    if isinstance(error, sa_exc.NoSuchModuleError | sa_exc.ArgumentError):
        return (f"HOSTMASTER_DATABASE_URL is not a store URL this installation can use "
                f"({error}): write it as sqlite:////path/to/hostmaster.db or "
                "mysql+pymysql://user:password@host/database?charset=utf8mb4.")
    if isinstance(error, PermissionError):
        return (f"Permission denied: {error.filename}; run hostmaster as the user that owns "
                "the store and the aegir root.")
    return None


def refusal(error: BaseException) -> Refused | None:
    """``error`` as a Refused, when it is a user error."""
    if isinstance(error, Refused):
        return error
    message = explain(error)
    if message is None:
        return None
    fields = error.errors if isinstance(error, ValidationError) else None
    return Refused(message, fields)


def fault_sentence(error: BaseException) -> str:
    """The one sentence shown for a fault without ``--debug`` (a store error's own message,
    never its statement: the parameters may hold a secret)."""
    detail = error.orig if isinstance(error, sa_exc.DBAPIError) else error
    return (f"hostmaster stopped on an unexpected {type(error).__name__} ({detail}). Run the "
            "command again with --debug to see where; if it is a bug, report it with that "
            "output.")
