"""Context names and the properties provision receives for each entity.

Every server, platform and site has exactly one context name (``server_master``,
``server_<hostname>``, ``platform_<name>``, the site's uri). Before a task runs, the dispatcher
sends provision the contexts it needs, flattened to the property names of docs/protocol.md.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import ContextName, Entity, Platform, Server, Site, load_entity
from .errors import ValidationError

MASTER = "server_master"


def suggested_name(entity: Entity, *, master: bool = False) -> str:
    """The context name the original would give this entity (without the ``@``)."""
    if isinstance(entity, Server):
        return MASTER if master else "server_" + re.sub(r"[^a-z0-9_]", "", entity.hostname)
    if isinstance(entity, Platform):
        return "platform_" + re.sub(r"[^a-z0-9_]", "", entity.name.lower())
    return entity.uri


def register(entity: Entity, name: str) -> ContextName:
    """Give ``entity`` the context name ``name``; refuses a name that is taken."""
    taken = db.session.scalar(select(ContextName).where(ContextName.name == name))
    if taken is not None:
        raise ValidationError.field(
            "name", f"The context name @{name} is already used by another {taken.entity_kind}."
        )
    context = ContextName(name=name, entity_kind=entity.entity_kind, entity_id=entity.id)
    db.session.add(context)
    return context


def name_of(entity: Entity) -> str:
    """The entity's context name, with the ``@``."""
    row = db.session.scalar(
        select(ContextName).where(
            ContextName.entity_kind == entity.entity_kind, ContextName.entity_id == entity.id
        )
    )
    if row is None:
        raise LookupError(f"{entity.entity_kind} {entity.id} has no context name")
    return "@" + row.name


def entity_for(name: str) -> Entity | None:
    """The entity behind a context name (with or without ``@``), or None."""
    row = db.session.scalar(select(ContextName).where(ContextName.name == name.lstrip("@")))
    if row is None:
        return None
    return load_entity(db.session, row.entity_kind, row.entity_id)


def master_server() -> Server | None:
    """The server registered as ``@server_master``, if any."""
    entity = entity_for(MASTER)
    return entity if isinstance(entity, Server) else None


def server_properties(server: Server) -> dict[str, Any]:
    """A server's provision properties; empty values are left out so provision's defaults hold."""
    props: dict[str, Any] = {
        "context_type": "server",
        "remote_host": server.hostname,
        "ip_addresses": [ip.address for ip in server.ip_addresses],
        "http_service_type": server.service_type("http"),
        "db_service_type": server.service_type("db"),
    }
    for service in server.services:
        if service.type == "null":
            continue
        prefix = service.service
        if service.port:
            props[f"{prefix}_port"] = service.port
        if service.restart_cmd:
            props[f"{prefix}_restart_cmd"] = service.restart_cmd
        if service.service == "db":
            if service.db_user:
                props["db_user"] = service.db_user
            if service.db_password:
                props["db_passwd"] = service.db_password
        props.update({key: value for key, value in (service.options or {}).items() if value})
    return props


def platform_properties(platform: Platform) -> dict[str, Any]:
    """A platform's provision properties."""
    props: dict[str, Any] = {
        "context_type": "platform",
        "root": platform.root,
        "web_server": name_of(platform.web_server),
    }
    master = master_server()
    if master is not None:
        props["server"] = name_of(master)
    if platform.makefile:
        props["makefile"] = platform.makefile
    return props


def contexts_for(entity: Entity) -> list[dict[str, Any]]:
    """The contexts provision must hold to work on ``entity``, the ones it refers to first."""
    if isinstance(entity, Server):
        return [{"name": name_of(entity), "properties": server_properties(entity)}]
    if isinstance(entity, Platform):
        servers = [entity.web_server]
        master = master_server()
        if master is not None and master.id != entity.web_server.id:
            servers.insert(0, master)
        return [
            *({"name": name_of(s), "properties": server_properties(s)} for s in servers),
            {"name": name_of(entity), "properties": platform_properties(entity)},
        ]
    if isinstance(entity, Site):
        # Site contexts come with the site lifecycle; until then a site needs its platform's.
        return contexts_for(entity.platform)
    raise TypeError(f"no contexts for {entity!r}")
