"""Store hiccups: telling them from faults, saying so once, and waiting them out.

A hiccup is an error after which the same work may well succeed a moment later: the store
does not answer (connection refused or lost, a network that stalls past the dispatcher's time
limit), or it answers that a statement lost a deadlock or waited too long for a lock. The
dispatcher never lets one change a task's result: it keeps what it must store in memory and
tries again with a bounded backoff for as long as it lives. ``StoreWatch`` is one dispatcher's
view of the store: it logs one line when the store stops answering and one when it answers
again, however many threads and retries see the same outage.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..extensions import db

log = logging.getLogger(__name__)

#: MySQL's "lock wait timeout" and "deadlock": the store answered and undid the statement.
BUSY_CODES = frozenset({1205, 1213})

T = TypeVar("T")


def is_hiccup(error: BaseException) -> bool:
    """Whether ``error`` says the store is away or busy, not that the work itself is wrong."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | DisconnectionError | PoolTimeout)


def is_busy(error: BaseException) -> bool:
    """A deadlock or lock wait timeout (SQLite: a locked file): the statement surely did not
    happen, unlike a lost connection, after which a commit may or may not have landed."""
    original = getattr(error, "orig", None)
    arguments: tuple[Any, ...] = getattr(original, "args", ())
    if arguments and arguments[0] in BUSY_CODES:
        return True
    return "database is locked" in str(original)


def reason(error: BaseException) -> str:
    """The store's own words for ``error``, without SQLAlchemy's statement and links."""
    original = getattr(error, "orig", None) or error
    arguments: tuple[Any, ...] = getattr(original, "args", ())
    if len(arguments) >= 2 and isinstance(arguments[1], str):
        return arguments[1]
    return str(original).splitlines()[0] if str(original) else type(original).__name__


def store_address(url: str) -> str:
    """The store's URL as it may be logged: no password, no query options."""
    parsed = make_url(url)
    bare = URL.create(parsed.drivername, parsed.username, None, parsed.host, parsed.port,
                      parsed.database)
    return bare.render_as_string(hide_password=False)


@dataclass
class Backoff:
    """Waits that start at ``first`` seconds and double up to ``cap``."""

    first: float = 1.0
    cap: float = 30.0
    _next: float = 0.0

    def next(self) -> float:
        """The wait before the next try (each call doubles the one after it)."""
        wait = self._next or self.first
        self._next = min(wait * 2, self.cap)
        return wait

    def reset(self) -> None:
        """Start again from ``first`` (the store answered)."""
        self._next = 0.0

    def __str__(self) -> str:
        return f"{self.first:g} s, then less often, at most every {self.cap:g} s"


class StoreWatch:
    """Whether the store answers, as this dispatcher last saw it; one log line per change."""

    def __init__(self, url: str, backoff: Backoff | None = None) -> None:
        self.address = store_address(url)
        #: The daemon's waits between passes while the store is away.
        self.backoff = backoff or Backoff()
        self.answering = True
        self._lock = threading.Lock()
        self._since = time.monotonic()
        self._ever_failed = False

    def failed(self, error: BaseException, started: float | None = None) -> None:
        """Note a hiccup of work begun at ``started`` (time.monotonic()); the first one of an
        outage is logged. Work begun before the store last came back fails on a connection
        of the old outage (a statement that was waiting on it): that is no new outage."""
        with self._lock:
            if not self.answering:
                return
            if started is not None and started < self._since and self._ever_failed:
                return
            self.answering = False
            self._ever_failed = True
            self._since = time.monotonic()
        log.warning(
            "the store at %s does not answer: %s; retrying after %s",
            self.address,
            reason(error),
            self.backoff,
        )

    def answered(self) -> None:
        """Note that the store did some work; the first success after an outage is logged."""
        with self._lock:
            if self.answering:
                return
            self.answering = True
            away = time.monotonic() - self._since
            self._since = time.monotonic()
            self.backoff.reset()
        log.warning("the store at %s answers again (it was away for %.0f s)", self.address, away)

    def answering_for(self) -> float:
        """Seconds since the store last came back (infinite when it never went away)."""
        with self._lock:
            if not self.answering:
                return 0.0
            return time.monotonic() - self._since if self._ever_failed else math.inf


class PoolResetLine(logging.Filter):
    """SQLAlchemy's pool logs a connection it could not reset (its store stopped answering) as
    an error with a traceback, from wherever the connection was let go. The dispatcher already
    says when the store goes away and comes back; this makes that record one warning line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("sqlalchemy.pool") and record.exc_info:
            error = record.exc_info[1]
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = "dropped a connection to the store: %s", (
                reason(error) if error is not None else "unknown error",)
            record.exc_info, record.exc_text = None, None
        return True


def forget_session() -> None:
    """Drop the session after a hiccup: its connection may be dead, its transaction is gone.

    The connection is invalidated (closed, never given back to the pool): a rollback, or the
    pool's reset on return, on a connection whose store stopped answering would wait out the
    time limit once more, and the pool would log that as an error with a traceback."""
    try:
        db.session().invalidate()
    except Exception:  # the connection is already gone; removing the session is what matters
        pass
    db.session.remove()


def keep_trying(watch: StoreWatch, work: Callable[[], T], what: str = "") -> T:
    """Run ``work`` until it is done, waiting out store hiccups; other errors propagate.

    ``work`` must be safe to run again after a hiccup, including one that hid whether its
    last commit landed. ``what`` names what is stored ("the result of task 5") for the log:
    one line when it starts to wait, one when it is stored.
    """
    backoff = Backoff(first=0.5, cap=10.0)
    waited_since: float | None = None
    while True:
        started = time.monotonic()
        try:
            done = work()
        except Exception as error:
            if not is_hiccup(error):
                raise
            forget_session()
            watch.failed(error, started)
            if waited_since is None:
                waited_since = time.monotonic()
                if what:
                    log.warning("%s waits for the store (kept in memory meanwhile)", what)
            time.sleep(backoff.next())
            continue
        watch.answered()
        if what and waited_since is not None:
            log.warning("%s is stored (after waiting %.1f s for the store)", what,
                        time.monotonic() - waited_since)
        return done
