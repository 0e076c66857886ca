"""The plugin manager: hook specifications, the built-in plugins and installed ones.

Built-in services and application drivers are plugins like any other, registered here before
the plugins installed under the setuptools entry point group ``provision``; since pluggy calls
the most recently registered implementation first, an installed plugin can replace a built-in.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING

import pluggy

from . import hookspecs

if TYPE_CHECKING:
    from .apps.base import AppDriver
    from .services.base import Service

#: Modules registered as plugins before any installed one.
BUILTIN_PLUGINS = ("provision.services.builtin", "provision.apps")


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use (it imports every plugin)."""
    manager = pluggy.PluginManager("provision")
    manager.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(name), name=name)
    manager.load_setuptools_entrypoints("provision")
    return manager


def service_types() -> dict[tuple[str, str], type[Service]]:
    """Every known service class by ``(service, type)``; a later plugin's class wins."""
    found: dict[tuple[str, str], type[Service]] = {}
    for classes in plugin_manager().hook.provision_service_types():
        for cls in classes:
            # Results come most recent plugin first: keep the first class seen for a key.
            found.setdefault((cls.service, cls.type), cls)
    return found


def app_drivers() -> list[type[AppDriver]]:
    """Every application driver class, most recently registered plugin first."""
    return [cls for classes in plugin_manager().hook.provision_app_drivers() for cls in classes]
