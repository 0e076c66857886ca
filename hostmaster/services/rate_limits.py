"""Rate limits: attempts counted per bucket and key within a time window, in the store (so a
limit holds across web processes and on both stores)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import RateEvent, utcnow

# Events older than this are of no use to any limit and are deleted as new ones arrive.
KEEP_EVENTS = timedelta(days=1)


def _since(seconds: int) -> datetime:
    return utcnow() - timedelta(seconds=seconds)


def count(bucket: str, key: str, window_seconds: int) -> int:
    """How many attempts of ``key`` in ``bucket`` happened within the last window."""
    return db.session.scalar(
        select(func.count())
        .select_from(RateEvent)
        .where(
            RateEvent.bucket == bucket,
            RateEvent.key == key[:255],
            RateEvent.created_at >= _since(window_seconds),
        )
    ) or 0


def wait_seconds(bucket: str, key: str, limit: int, window_seconds: int) -> int:
    """Seconds until ``key`` may try again (0: it may try now)."""
    if count(bucket, key, window_seconds) < limit:
        return 0
    oldest = db.session.scalar(
        select(RateEvent.created_at)
        .where(
            RateEvent.bucket == bucket,
            RateEvent.key == key[:255],
            RateEvent.created_at >= _since(window_seconds),
        )
        .order_by(RateEvent.created_at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if oldest is None:
        return 0
    left = (oldest + timedelta(seconds=window_seconds) - utcnow()).total_seconds()
    return max(1, int(left) + 1)


def record(bucket: str, key: str) -> None:
    """Count one attempt of ``key`` in ``bucket`` (committed), forgetting day-old attempts."""
    db.session.execute(delete(RateEvent).where(RateEvent.created_at < utcnow() - KEEP_EVENTS))
    db.session.add(RateEvent(bucket=bucket, key=key[:255]))
    db.session.commit()


def attempt(bucket: str, key: str, limit: int, window_seconds: int) -> int:
    """Count an attempt unless ``key`` already made ``limit`` within the window; returns 0
    when the attempt may go ahead, else the seconds to wait (and nothing is counted)."""
    wait = wait_seconds(bucket, key, limit, window_seconds)
    if wait == 0:
        record(bucket, key)
    return wait


def clear(bucket: str, key: str) -> None:
    """Forget the attempts of ``key`` in ``bucket`` (the caller commits)."""
    db.session.execute(
        delete(RateEvent).where(RateEvent.bucket == bucket, RateEvent.key == key[:255])
    )


def in_words(seconds: int) -> str:
    """A wait as "1 minute" or "12 minutes" (rounded up), for messages."""
    minutes = max(1, -(-seconds // 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
