"""When a queue is due and how many items one run takes: the original's spreading formula
(hosting.queues.inc, hosting_queue_calculate_*)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

#: A queue with nothing to do still runs once a day (the original's rule for empty queues).
IDLE_FREQUENCY = 86400


@dataclass(frozen=True)
class Plan:
    """Run every ``frequency`` seconds, taking at most ``items`` items."""

    frequency: int
    items: int


def plan(
    kind: str,
    frequency: int,
    items: int,
    total: int,
    *,
    min_threads: int = 1,
    max_threads: int = 12,
    threshold: int = 100,
) -> Plan:
    """The run frequency and batch size of a queue covering ``total`` items.

    - serial: ``items`` every ``frequency`` seconds, as configured.
    - batch: threads = total / threshold, clamped to [min_threads, max_threads]; a run every
      ceil(frequency / threads) seconds takes ceil(total / threads) items.
    - spread: a run every max(60, frequency / total) seconds takes
      ceil(run frequency / frequency × total) items; with no items, once a day, none.

    For batch and spread queues a positive ``items`` caps the batch (0: no cap).
    """
    frequency = max(1, int(frequency))
    if kind == "serial":
        return Plan(frequency, max(0, items))
    if total <= 0:
        return Plan(max(frequency, IDLE_FREQUENCY) if kind == "spread" else frequency, 0)
    if kind == "spread":
        run_every = max(60, frequency // total)
        count = math.ceil(run_every / frequency * total)
    else:
        threads = min(max(total // max(1, threshold), min_threads), max_threads)
        threads = max(1, threads)
        run_every = math.ceil(frequency / threads)
        count = math.ceil(total / threads)
    if items > 0:
        count = min(count, items)
    return Plan(run_every, count)


def every(seconds: int) -> str:
    """A period in words: "every minute", "every 10 minutes", "every 2 hours", "every day"."""
    for size, word in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if seconds % size == 0:
            count = seconds // size
            return f"every {word}" if count == 1 else f"every {count} {word}s"
    return f"every {seconds} seconds"  # pragma: no cover (size 1 divides every number)


def describe(plan: Plan, kind: str, total: int, unit: tuple[str, str]) -> str:
    """What a queue does, as the Queues page says it: "1 site every 10 minutes (2 sites in
    all)", "up to 10,000 tasks every hour", "nothing to do (no sites)"."""
    one, many = unit

    def count(number: int) -> str:
        return f"{number:,} {one if number == 1 else many}"

    if kind == "serial":
        return (f"up to {count(plan.items)} {every(plan.frequency)}" if plan.items
                else f"all {many} {every(plan.frequency)}")
    if total <= 0:
        return f"nothing to do (no {many})"
    return f"{count(plan.items)} {every(plan.frequency)} ({count(total)} in all)"


def is_due(last_run_at: datetime | None, run_every: int, now: datetime) -> bool:
    """Whether a queue that last ran at ``last_run_at`` should run at ``now``."""
    return last_run_at is None or now - last_run_at >= timedelta(seconds=run_every)
