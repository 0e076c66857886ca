"""Context names and the properties provision receives for each entity.

Every server, platform and site has exactly one context name (``server_master``,
``server_<hostname>``, ``platform_<name>``, the site's uri). Before a task runs, the dispatcher
sends provision the contexts it needs, flattened to the property names of docs/protocol.md.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select

from .. import plugins
from ..extensions import db
from ..models import ContextName, Entity, Platform, Server, Site, load_entity
from . import panel_publishing, settings, site_aliases, site_https
from .errors import ValidationError
from .validation import platform_base_path

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


def unregister(entity: Entity) -> None:
    """Free the context name of a deleted entity (the caller commits)."""
    db.session.execute(
        delete(ContextName).where(
            ContextName.entity_kind == entity.entity_kind, ContextName.entity_id == entity.id
        )
    )


def name_or_none(entity: Entity) -> str | None:
    """The entity's context name with the ``@``, or None once it has none (deleted)."""
    try:
        return name_of(entity)
    except LookupError:
        return None


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
    # The panel's public address, for the page a disabled site's vhost redirects to (left out
    # while it is not set: the disable task is refused until it is).
    if settings.public_url():
        props["master_url"] = settings.public_url()
    if entity_for(MASTER) is server:
        # Platforms live on the master: provision checks their roots against the same folder.
        props["platform_base_path"] = platform_base_path()
        # The CA sites' certificates come from (provision reads it from @server_master); the
        # unset ones as null, so that choosing no CA takes the old one out of the context.
        props.update({"acme_directory_url": None, "acme_email": None, "acme_ca_bundle": None,
                      **site_https.acme_properties()})
        # The panel published on its web server, or null: not (hostmaster publish).
        props.update(panel_publishing.properties())
    # How provision logs in when the server is remote (docs/remote-servers.md).
    ssh = {"ssh_user": server.ssh_user, "ssh_port": server.ssh_port,
           "ssh_key_file": server.ssh_key_file}
    props.update({key: value for key, value in ssh.items() if value})
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
        # 0 is a value (a reload settle of 0 s); only an empty option means provision's default.
        props.update({key: value for key, value in (service.options or {}).items()
                      if value not in (None, "")})
    props.update(plugins.context_properties(server))
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
    props.update(plugins.context_properties(platform))
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
        # The db server's and web server's contexts, the platform's, then the site's.
        needed: list[Server] = []
        for server in (master_server(), entity.db_server, entity.platform.web_server):
            if server is not None and all(server.id != s.id for s in needed):
                needed.append(server)
        return [
            *({"name": name_of(s), "properties": server_properties(s)} for s in needed),
            {"name": name_of(entity.platform), "properties": platform_properties(entity.platform)},
            {"name": name_of(entity), "properties": site_properties(entity)},
        ]
    raise TypeError(f"no contexts for {entity!r}")


def site_properties(site: Site) -> dict[str, Any]:
    """A site's provision properties. Never the database name, user or password: provision
    chooses those at install and keeps them in the site's context."""
    client = site.client
    props: dict[str, Any] = {
        "context_type": "site",
        "uri": site.uri,
        "platform": name_of(site.platform),
        "client_name": client.uname if client is not None else "",
        "client_email": client.email if client is not None else "",
        "language": site.language or "en",
        "aliases": site_aliases.served(site),
        "redirect_aliases": site_aliases.redirected(site),
        "redirection": False,  # each alias says whether it redirects
    }
    if site.db_server is not None:
        props["db_server"] = name_of(site.db_server)
    if site.profile:
        props["profile"] = site.profile
    props.update(site_https.context_properties(site))
    props.update(plugins.context_properties(site))
    return {key: value for key, value in props.items() if value != ""}
