"""``provision @name noop [--seconds=N]``: does nothing (after waiting N seconds, if asked).

The dispatcher's benchmarks run it to measure their own overhead; its tests ask it to wait to
exercise leases and time limits.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import ProvisionError
from . import Invocation

CONTEXT = "optional"


def run(invocation: Invocation) -> dict[str, Any]:
    """Wait ``seconds`` (default 0); the result object is empty."""
    value = invocation.options.get("seconds", 0)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        raise ProvisionError(
            f"--seconds must be a number of seconds between 0 and 86400, not {value!r}."
        )
    # One line per run: the dispatcher's tests count them to prove each task ran exactly once,
    # and its benchmark reads the line's time as the moment provision was running.
    invocation.logger.info(f"No-op started on {invocation.name}.")
    if seconds:
        time.sleep(seconds)
        invocation.logger.info(f"Waited {seconds:g} seconds.")
    return {}
