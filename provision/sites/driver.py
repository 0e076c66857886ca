"""Calling the application driver for site work, with a clear error for what it cannot do yet."""

from __future__ import annotations

from typing import Any

from ..errors import ApplicationError


def call_driver(driver: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """``driver.method(*args, **kwargs)``, or an ApplicationError when the driver lacks it."""
    function = getattr(driver, method, None)
    if function is None:
        raise ApplicationError(
            f"The {driver.kind} driver cannot {method.replace('_', ' ')} yet; update provision "
            "or use a platform of another application."
        )
    return function(*args, **kwargs)
