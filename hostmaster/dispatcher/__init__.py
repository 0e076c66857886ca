"""The dispatcher: claims queued tasks, runs provision for each, stores logs and results."""

from __future__ import annotations

from flask import Flask

from .loop import Dispatcher


def dispatch_once(app: Flask) -> int:
    """One pass for cron: returns the number of internal faults (0 when all went well)."""
    return Dispatcher(app).run_once()


def run_daemon(app: Flask) -> int:
    """Poll and run tasks until SIGTERM or SIGINT."""
    return Dispatcher(app).run_forever()


__all__ = ["Dispatcher", "dispatch_once", "run_daemon"]
