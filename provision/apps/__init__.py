"""Application drivers: which application a platform holds, its version, packages and sites.

provision registers this module as a built-in plugin, so the drivers below arrive through the
same ``provision_app_drivers`` hook as a plugin's own; ``detect`` asks each in turn.
"""

from __future__ import annotations

from pathlib import Path

from ..hookspecs import hookimpl
from .base import AppDriver
from .drupal import DrupalDriver
from .versions import version_code
from .wordpress import WordPressDriver

__all__ = [
    "AppDriver",
    "DrupalDriver",
    "WordPressDriver",
    "detect",
    "provision_app_drivers",
    "version_code",
]

BUILTIN_DRIVERS: list[type[AppDriver]] = [DrupalDriver, WordPressDriver]


@hookimpl
def provision_app_drivers() -> list[type[AppDriver]]:
    """The built-in drivers: Drupal (7 and 8+) and WordPress."""
    return list(BUILTIN_DRIVERS)


def detect(root: Path, drivers: list[type[AppDriver]] | None = None) -> AppDriver | None:
    """The driver of the first of ``drivers`` (default: the built-ins) that recognises the
    application in ``root``; None when none does (an empty folder, a static site)."""
    for driver in BUILTIN_DRIVERS if drivers is None else drivers:
        found = driver.detect(Path(root))
        if found is not None:
            return found
    return None
