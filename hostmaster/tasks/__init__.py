"""Task types, one module per entity kind; importing this package registers them all."""

from __future__ import annotations

from . import doctor, platform, server, site, site_moves  # noqa: F401  (registration happens on import)
from .registry import TaskType, get, register, types_for

__all__ = ["TaskType", "get", "register", "types_for"]
