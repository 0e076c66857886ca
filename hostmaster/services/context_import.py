"""Import provision contexts into the front end, as the original's ``hosting-import``.

``hostmaster import @name`` reads the context file under the aegir root and makes it a record:
a server, a platform or a site, after the contexts it refers to (a site's platform and database
server, a platform's web server). A context whose name the store knows updates that record
instead, so importing twice adds nothing the second time. The named entity and every one the
import created get a verify queued, the way a new one would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from flask import current_app
from sqlalchemy import select

from provision.contexts import Contexts
from provision.contexts.names import short_name
from provision.contexts.store import StoredContext
from provision.errors import ProvisionError
from provision.plugins import service_types

from ..extensions import db
from ..models import (
    Client,
    Entity,
    Platform,
    PlatformStatus,
    Server,
    ServerIP,
    ServerStatus,
    Site,
    SiteStatus,
    User,
)
from . import contexts, tasks
from .clients import default_client
from .errors import ValidationError
from .servers import ServiceSpec, check_services, fill_service, service_row
from .site_aliases import alias_rows
from .site_domains import check_site_domain, normalise
from .transaction import transaction
from .validation import check_hostname, check_ip_address, check_name, check_platform_root

#: Service properties kept in their own columns rather than in the service's options.
_COLUMNS = ("port", "restart_cmd")
_DB_COLUMNS = ("db_user", "db_passwd")


@dataclass
class Imported:
    """One record an import made or updated."""

    entity: Entity
    context: str
    created: bool
    verify_queued: bool = False


def import_context(name: str, *, verify: bool = True, user: User | None = None) -> list[Imported]:
    """Import context ``name`` and those it refers to; the records, referred ones first.

    Raises ValidationError, having written nothing, when a context is missing, unreadable or
    holds values the front end refuses.
    """
    importer = _Importer(Contexts(Path(current_app.config["AEGIR_ROOT"])))
    with transaction():
        named = importer.context(name)
        if verify:
            for done in importer.done.values():
                wanted = done.created or done.entity is named
                if wanted and tasks.why_unavailable(done.entity, "verify") is None:
                    tasks.queue(done.entity, "verify", user=user, commit=False)
                    done.verify_queued = True
    return list(importer.done.values())


class _Importer:
    """Imports contexts depth first, each once."""

    def __init__(self, contexts: Contexts) -> None:
        self.contexts = contexts
        self.done: dict[str, Imported] = {}

    def context(self, name: str, referred_by: str = "") -> Entity:
        name = name if name.startswith("@") else f"@{name}"
        if name in self.done:
            return self.done[name].entity
        stored = self._read(name, referred_by)
        known = contexts.entity_for(short_name(name))
        entity: Entity
        if stored.context_type == "server":
            entity, created = self.server(stored, known)
        elif stored.context_type == "platform":
            entity, created = self.platform(stored, known)
        elif stored.context_type == "site":
            entity, created = self.site(stored, known)
        else:
            _refuse(f"{name} is a {stored.context_type or 'typeless'} context; only server, "
                    "platform and site contexts can be imported.")
        if created:
            db.session.add(entity)
            db.session.flush()
            contexts.register(entity, short_name(name))
        self.done[name] = Imported(entity, name, created)
        return entity

    def _read(self, name: str, referred_by: str) -> StoredContext:
        try:
            stored = self.contexts.read(name)
        except ProvisionError as error:
            _refuse(str(error))
        if stored is None:
            where = f", which {referred_by} refers to," if referred_by else ""
            _refuse(f"There is no context {name}{where} in {self.contexts.store.folder}; save "
                    "it with `provision save` first.")
        return stored

    def _known(
        self, known: Entity | None, kind: type[Server] | type[Platform] | type[Site], name: str
    ) -> Any:
        if known is not None and not isinstance(known, kind):
            _refuse(f"The context name {name} belongs to a {known.entity_kind} here, not to a "
                    f"{kind.entity_kind}.")
        return known

    # Servers --------------------------------------------------------------------------------

    def server(self, stored: StoredContext, known: Entity | None) -> tuple[Server, bool]:
        props = stored.properties
        server = self._known(known, Server, stored.name)
        hostname = str(props.get("remote_host") or short_name(stored.name).removeprefix("server_"))
        problem = check_hostname(hostname)
        if problem:
            _refuse(f"{stored.name}: {problem}")
        taken = db.session.scalar(select(Server).where(Server.hostname == hostname))
        if taken is not None and taken is not server:
            _refuse(f"{stored.name} is the server {hostname}, which is already registered "
                    f"under another context name.")
        addresses = [str(ip) for ip in props.get("ip_addresses") or []]
        bad = [p for p in (check_ip_address(ip) for ip in addresses) if p]
        services = _service_specs(props)
        errors = check_services(services)
        if bad or errors:
            _refuse(f"{stored.name}: " + " ".join(bad + [m for ms in errors.values() for m in ms]))
        created = server is None
        if created:
            server = Server(hostname=hostname, status=ServerStatus.QUEUED)
        server.hostname = hostname
        kept_ips = {ip.address: ip for ip in server.ip_addresses}
        server.ip_addresses = [kept_ips.get(ip) or ServerIP(address=ip)
                               for ip in dict.fromkeys(addresses)]
        kept_services = {row.service: row for row in server.services}
        rows = []
        for kind, spec in services.items():
            old = kept_services.get(kind)
            if old is not None:  # the same row, updated: its id and unique key stay
                fill_service(old, spec)
                rows.append(old)
            else:
                rows.append(service_row(kind, spec))
        server.services = rows
        return server, created

    # Platforms ------------------------------------------------------------------------------

    def platform(self, stored: StoredContext, known: Entity | None) -> tuple[Platform, bool]:
        props = stored.properties
        platform = self._known(known, Platform, stored.name)
        root = str(props.get("root") or "").rstrip("/")
        problem = check_platform_root(root)
        if problem:
            _refuse(f"{stored.name}: {problem}")
        web_name = str(props.get("web_server") or "@server_master")
        web_server = self.context(web_name, stored.name)
        if not isinstance(web_server, Server):
            _refuse(f"{stored.name} names {web_name} as its web server, which is not a server.")
        same_root = db.session.scalar(select(Platform).where(
            Platform.root == root, Platform.status != PlatformStatus.DELETED))
        if same_root is not None and same_root is not platform:
            _refuse(f"{stored.name} lives in {root}, where the platform {same_root.name} "
                    "already lives.")
        created = platform is None
        if created:
            name = short_name(stored.name).removeprefix("platform_")
            problem = check_name(name, "platform name")
            if problem:
                _refuse(f"{stored.name}: {problem}")
            if db.session.scalar(select(Platform.id).where(Platform.name == name)) is not None:
                _refuse(f"A platform called {name} already exists; {stored.name} cannot take "
                        "its name.")
            platform = Platform(name=name, status=PlatformStatus.QUEUED)
        platform.root = root
        platform.web_server = web_server
        platform.makefile = str(props.get("makefile") or "")
        return platform, created

    # Sites ----------------------------------------------------------------------------------

    def site(self, stored: StoredContext, known: Entity | None) -> tuple[Site, bool]:
        props = stored.properties
        site = self._known(known, Site, stored.name)
        uri = normalise(str(props.get("uri") or short_name(stored.name)))
        problem = check_site_domain(uri, ignore_site_id=site.id if site is not None else None)
        if problem:
            _refuse(f"{stored.name}: {problem}")
        platform = self.context(str(props.get("platform") or ""), stored.name)
        db_server = self.context(str(props.get("db_server") or "@server_master"), stored.name)
        if not isinstance(platform, Platform) or not isinstance(db_server, Server):
            _refuse(f"{stored.name} must name a platform and a database server.")
        aliases = [normalise(str(a)) for a in props.get("aliases") or []]
        redirect_aliases = [normalise(str(a)) for a in props.get("redirect_aliases") or []]
        if props.get("redirection"):  # the site-wide switch: every alias redirects
            aliases, redirect_aliases = [], [*aliases, *redirect_aliases]
        for alias in [*aliases, *redirect_aliases]:
            problem = check_site_domain(alias, ignore_site_id=site.id if site else None)
            if problem:
                _refuse(f"{stored.name}, alias {alias}: {problem}")
        created = site is None
        if created:
            enabled = props.get("site_enabled", True) not in (False, "0", 0)
            site = Site(status=SiteStatus.ENABLED if enabled else SiteStatus.DISABLED)
        site.uri = uri
        site.platform = platform
        site.db_server = db_server
        site.client = _client(str(props.get("client_name") or ""))
        site.profile = str(props.get("profile") or "")
        site.language = str(props.get("language") or "en")
        site.db_name = str(props.get("db_name") or site.db_name or "")
        site.cron_key = str(props.get("cron_key") or site.cron_key or "")
        site.aliases = alias_rows(site, uri, dict.fromkeys(aliases),
                                  dict.fromkeys(redirect_aliases))
        return site, created


def _service_specs(props: dict[str, Any]) -> dict[str, ServiceSpec]:
    """A server context's services as the front end stores them (``<kind>_<property>``)."""
    specs: dict[str, ServiceSpec] = {}
    for (kind, type_), service_class in service_types().items():
        if props.get(f"{kind}_service_type") != type_ or type_ == "null":
            continue
        spec = ServiceSpec(type_)
        for prop in service_class.properties():
            value = props.get(prop.name)
            if value in (None, ""):
                continue
            own = prop.name.removeprefix(f"{kind}_")
            if prop.name == f"{kind}_port":
                spec.port = int(value)
            elif prop.name == f"{kind}_restart_cmd":
                spec.restart_cmd = str(value)
            elif kind == "db" and prop.name == "db_user":
                spec.db_user = str(value)
            elif kind == "db" and prop.name == "db_passwd":
                spec.db_password = str(value)
            elif own not in _COLUMNS and prop.name not in _DB_COLUMNS:
                spec.options[prop.name] = value
        specs[kind] = spec
    return specs


def _client(uname: str) -> Client:
    """The client a site context names, else the default client."""
    client = db.session.scalar(select(Client).where(Client.uname == uname)) if uname else None
    return client or default_client()


def _refuse(message: str) -> NoReturn:
    raise ValidationError.field("context", message)
