"""Task types: the registry (``registry.py``) and one module per group of task types.

The type modules use the services (queueing, results), and the services use only the
registry, so importing a service never imports a task type: ``create_app`` registers the
built-in types (``builtin.py``), then plugins add theirs.
"""

from __future__ import annotations

from .registry import TaskType, get, register, types_for

__all__ = ["TaskType", "get", "register", "types_for"]
