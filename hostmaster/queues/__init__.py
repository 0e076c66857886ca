"""Batch queues: work the dispatcher does on every site, a batch at a time.

A batch queue is registered once, at import, by a module of this package::

    from . import Batch, BatchQueue, register

    def run_cron(batch: Batch) -> str:
        ...                      # process at most batch.items items; the caller commits nothing
        return "Ran cron on 3 sites."

    register(BatchQueue(name="cron", title="Cron", description="...",
                        default_frequency=3600, default_items=0,
                        run=run_cron, total=count_enabled_sites))

- ``run(batch)`` processes ONE batch: at most ``batch.items`` items (the spread computed from
  ``total()``, capped by the admin's "items per run"), with ``batch.now`` as the time of the pass
  and ``batch.frequency`` the queue's frequency in seconds. It commits its own work (item by
  item, so one bad item does not undo the others), returns a short sentence for the Queues page,
  and raises to say the whole run failed (the runner logs why; the other queues still run).
- ``total()`` counts the items the queue covers (e.g. enabled sites); the spread (see
  ``schedule.plan``, the original's formula) turns it and the frequency into "every N seconds,
  M items".
- The state each admin edits (enabled, frequency, items per run, last run) is a ``QueueState``
  row named after the queue, created with the defaults on first use (``state.py``).
- ``run_due_queues(app, now)`` (``runner.py``) runs every due, enabled queue once; the
  dispatcher calls it once per pass.

The modules listed in ``MODULES`` are imported by ``all_queues()``; a module that is not there
(yet) is skipped, so a queue module is added by writing it and naming it in ``MODULES``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask

log = logging.getLogger(__name__)

#: The queue modules of this package, imported (when present) in this order.
MODULES = ("cron", "backup", "statistics", "garbage", "certificates")


@dataclass(frozen=True)
class Batch:
    """One run of a queue: when, how many items at most, and the queue's frequency."""

    app: Flask
    now: datetime
    items: int
    frequency: int


def _no_items() -> int:
    return 0


@dataclass(frozen=True)
class BatchQueue:
    """A queue: its name, title, defaults, how to process one batch and how to count items.

    ``kind`` "batch" spreads items over ``min_threads``..``max_threads`` runs per frequency
    (one run per ``threshold`` items); "spread" runs at most once a minute with an even share;
    "serial" runs ``items`` items every ``frequency`` seconds (see ``schedule.plan``).
    """

    name: str
    title: str
    description: str
    default_frequency: int
    default_items: int
    run: Callable[[Batch], str]
    total: Callable[[], int] = _no_items
    kind: str = "batch"
    min_threads: int = 1
    max_threads: int = 12
    threshold: int = 100
    #: What one item is, singular and plural, for the Queues page ("1 site every hour").
    unit: tuple[str, str] = ("item", "items")


_REGISTRY: dict[str, BatchQueue] = {}


def register(queue: BatchQueue) -> BatchQueue:
    """Add ``queue``; registering the same name again replaces the first."""
    _REGISTRY[queue.name] = queue
    return queue


def get(name: str) -> BatchQueue:
    """The queue ``name``; KeyError when there is none."""
    _load()
    return _REGISTRY[name]


def all_queues() -> list[BatchQueue]:
    """Every registered queue, in registration order."""
    _load()
    return list(_REGISTRY.values())


def _load() -> None:
    """Import the queue modules; one that fails to import is logged and left out, so that
    the other queues still run."""
    for module in MODULES:
        name = f"{__name__}.{module}"
        if name in sys.modules:
            continue
        try:
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
        except Exception:
            log.exception("the queue module %s could not be loaded", name)


__all__ = ["MODULES", "Batch", "BatchQueue", "all_queues", "get", "register"]
