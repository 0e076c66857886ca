"""The dispatcher: claims queued tasks, runs provision for each, stores logs and results."""

from __future__ import annotations

import logging

from flask import Flask

from .loop import Dispatcher
from .store_watch import PoolResetLine


def dispatch_once(app: Flask) -> int:
    """One pass for cron: returns the number of internal faults (0 when all went well)."""
    _log_to_stderr()
    return Dispatcher(app).run_once()


def run_daemon(app: Flask) -> int:
    """Poll and run tasks until SIGTERM or SIGINT."""
    _log_to_stderr()
    return Dispatcher(app).run_forever()


def _log_to_stderr() -> None:
    """Send the dispatcher's log lines, with their time, to standard error (cron's log file,
    the daemon's journal), unless the process has set up logging itself."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        for handler in logging.getLogger().handlers:
            handler.addFilter(PoolResetLine())


__all__ = ["Dispatcher", "dispatch_once", "run_daemon"]
