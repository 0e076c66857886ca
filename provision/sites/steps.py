"""Steps every site command shares: its services, credentials, vhost and context updates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..contexts.model import SiteContext
from ..errors import ContextError, ServiceError
from ..services.db.credentials import SiteCredentials
from ..services.db.mysql import MysqlService
from ..services.http.base import HttpService

if TYPE_CHECKING:
    from ..commands import Invocation
    from ..log import Logger


def site_of(invocation: Invocation) -> SiteContext:
    """The invocation's context, which must be a site."""
    context = invocation.context
    if not isinstance(context, SiteContext):
        kind = context.context_type if context is not None else "missing context"
        raise ContextError(
            f"{invocation.command} works on sites, and {invocation.name} is a {kind}; run it "
            "on a site's context (its uri, e.g. @example.com)."
        )
    return context


def db_service(site: SiteContext) -> MysqlService:
    """The mysql service of the site's database server."""
    service = site.db_server.service("db")
    if not isinstance(service, MysqlService):
        raise ServiceError(
            f"The database server {site.db_server.name} of {site.name} runs no MySQL service; "
            "save it with --db_service_type=mysql or choose another db_server."
        )
    return service


def http_service(site: SiteContext) -> HttpService | None:
    """The web service of the site's web server (None: it serves no sites)."""
    service = site.web_server.service("http")
    return service if isinstance(service, HttpService) else None


def site_credentials(site: SiteContext) -> SiteCredentials:
    """The site's database credentials from its context, as its web server reaches them."""
    name, user, password = (site.raw(key) for key in ("db_name", "db_user", "db_passwd"))
    if not (name and user and password):
        raise ContextError(
            f"The context of {site.name} holds no database credentials; install the site "
            "first, or import it if it already exists."
        )
    db = db_service(site)
    return SiteCredentials(str(name), str(user), str(password), db.host_for(site.web_server),
                           int(site.db_server.raw("db_port")))


def save_site(invocation: Invocation, **properties: Any) -> SiteContext:
    """Store ``properties`` in the site's context and make the invocation use the new one."""
    context = invocation.contexts.save(invocation.name, properties)
    assert isinstance(context, SiteContext)
    invocation.context = context
    return context


def write_vhost(site: SiteContext, credentials: SiteCredentials, logger: Logger) -> None:
    """Write the site's vhost (enabled or disabled as its context says), test and reload."""
    http = http_service(site)
    if http is None:
        logger.info(f"The web server {site.web_server.name} has no web service; no vhost.")
        return
    http.write_vhost(site, credentials, logger, enabled=bool(site.raw("site_enabled")))


def is_dry_run(options: dict[str, Any]) -> bool:
    """Whether ``--dry-run`` was given (as a flag, or any true word)."""
    value = options.get("dry_run", False)
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")
