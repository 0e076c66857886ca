"""The hostmaster store: one module per noun; everything is importable from here."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.orm import Session, scoped_session

from .api_token import ApiToken
from .base import (
    MAX_ID,
    Base,
    IntEnumType,
    PlatformStatus,
    ServerStatus,
    SiteStatus,
    TaskStatus,
    Timestamp,
    store_id,
    utcnow,
)
from .client import Client, ClientUser
from .context import ContextName
from .mail import MailStatus, OutgoingMail
from .package import Package, PackageInstance
from .platform import Platform, platform_clients
from .rate_event import RateEvent
from .server import SERVICE_TYPES, Server, ServerIP, ServerService
from .setting import Feature, QueueState, Setting
from .site import Site, SiteAlias, SiteBackup, SiteStatistic
from .site_https import SiteHttps
from .site_schedule import SiteSchedule
from .task import Task, TaskLog
from .user import Role, RolePermission, User, user_roles

Entity = Server | Platform | Site

# The entity kinds tasks and contexts refer to, by the name stored in ``entity_kind``.
ENTITY_MODELS: dict[str, type[Entity]] = {
    "server": Server,
    "platform": Platform,
    "site": Site,
}



def load_entity(session: Session | scoped_session[Any], kind: str, entity_id: int) -> Entity | None:
    """The server, platform or site ``kind`` number ``entity_id``, or None."""
    if store_id(entity_id) is None:
        return None
    return cast(Entity | None, session.get(ENTITY_MODELS[kind], entity_id))


__all__ = [
    "ENTITY_MODELS",
    "MAX_ID",
    "ApiToken",
    "SERVICE_TYPES",
    "Base",
    "Client",
    "ClientUser",
    "ContextName",
    "Entity",
    "Feature",
    "IntEnumType",
    "MailStatus",
    "OutgoingMail",
    "Package",
    "PackageInstance",
    "Platform",
    "PlatformStatus",
    "QueueState",
    "RateEvent",
    "Role",
    "RolePermission",
    "Server",
    "ServerIP",
    "ServerService",
    "ServerStatus",
    "Setting",
    "Site",
    "SiteAlias",
    "SiteBackup",
    "SiteHttps",
    "SiteSchedule",
    "SiteStatistic",
    "SiteStatus",
    "Task",
    "TaskLog",
    "TaskStatus",
    "Timestamp",
    "User",
    "load_entity",
    "store_id",
    "platform_clients",
    "user_roles",
    "utcnow",
]
