"""Contexts: the named servers, platforms and sites provision works on, stored as files."""

from .model import Context, PlatformContext, ServerContext, SiteContext
from .names import validate_name
from .properties import Property
from .registry import Contexts
from .store import ContextStore

__all__ = [
    "Context",
    "ContextStore",
    "Contexts",
    "PlatformContext",
    "Property",
    "ServerContext",
    "SiteContext",
    "validate_name",
]
