"""The built-in task types, registered by ``create_app`` before the plugins' (which may
replace them)."""

from __future__ import annotations

from . import doctor, platform, platform_migrate, server, site, site_moves
from .registry import register


def register_builtin_types() -> None:
    """Register every built-in task type, each entity kind's in the order its page lists them."""
    for module in (platform, platform_migrate, server, site, site_moves, doctor):
        for task_type in module.TASK_TYPES:
            register(task_type)
