"""Failed logins slow down whoever makes them, never the account for everyone.

Each failure is counted twice in the store (``rate_event``): for the pair of the remote
address and the user name typed, and for the address alone. Past a few free failures, the
next try from that pair, or from that address, must wait 2, 4, 8, 16 ... seconds (at most 15
minutes) after the last failure. A stranger therefore slows down only their own address: the
administrator logging in from another address is never kept out. The address is the one the
connection came from, or the one trusted proxies forwarded (hostmaster/http_security.py).
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import RateEvent, utcnow
from . import rate_limits

USER_BUCKET = "login-failure"
ADDRESS_BUCKET = "login-failure-address"
#: Failures of one user name from one address before each further try must wait.
FREE_PER_USER = 3
#: Failures from one address (any user names) before each further try must wait.
FREE_PER_ADDRESS = 10
WINDOW_SECONDS = 3600
MAX_WAIT_SECONDS = 15 * 60


class LoginThrottled(Exception):
    """Too many failed logins from this address; ``wait`` is the seconds until the next try."""

    def __init__(self, wait: int) -> None:
        self.wait = wait
        super().__init__(
            "Too many failed logins from your address. Try again in "
            f"{seconds_in_words(wait)}, or reset your password from the login page.")


def _pair(address: str, username: str) -> str:
    # Counted by the name typed, so that unknown names slow down the same way.
    return f"{address} {username.strip().lower()}"


def check(address: str, username: str) -> None:
    """Raise LoginThrottled when a login from ``address`` as ``username`` must wait."""
    wait = max(_wait(USER_BUCKET, _pair(address, username), FREE_PER_USER),
               _wait(ADDRESS_BUCKET, address, FREE_PER_ADDRESS))
    if wait:
        raise LoginThrottled(wait)


def record_failure(address: str, username: str) -> None:
    """Count a failed login (committed)."""
    rate_limits.record(USER_BUCKET, _pair(address, username))
    rate_limits.record(ADDRESS_BUCKET, address)


def forget_failures(address: str, username: str) -> None:
    """A good login forgets the failures of that user name from that address (the caller
    commits). The address's own count stays: one account of one's own must not buy more
    guesses at another."""
    rate_limits.clear(USER_BUCKET, _pair(address, username))


def _wait(bucket: str, key: str, free: int) -> int:
    """Seconds until ``key`` may try again: none for the first ``free`` failures within the
    window, then 2, 4, 8 ... seconds after the last one, at most MAX_WAIT_SECONDS."""
    since = utcnow() - timedelta(seconds=WINDOW_SECONDS)
    failures, last = db.session.execute(
        select(func.count(), func.max(RateEvent.created_at))
        .where(RateEvent.bucket == bucket, RateEvent.key == key[:255],
               RateEvent.created_at >= since)
    ).one()
    if failures < free or last is None:
        return 0
    delay = min(MAX_WAIT_SECONDS, 2 ** min(failures - free + 1, 20))
    left = (last + timedelta(seconds=delay) - utcnow()).total_seconds()
    return max(0, math.ceil(left))


def seconds_in_words(seconds: int) -> str:
    """A wait as "1 second", "40 seconds" or, from a minute on, in minutes (rounded up)."""
    if seconds >= 60:
        return rate_limits.in_words(seconds)
    return "1 second" if seconds <= 1 else f"{seconds} seconds"
