"""Loaded contexts: objects whose properties read with defaults and resolve references.

``platform.web_server`` is the server context object, ``server.service("http")`` that server's
http service instance; any other property reads as an attribute (``site.profile``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ContextError
from ..log import MASK
from .names import short_name
from .properties import Property
from .store import StoredContext

if TYPE_CHECKING:
    from ..apps.base import AppDriver
    from ..services.base import Service
    from ..transport import Transport
    from .registry import Contexts


class Context:
    """A loaded context of any type."""

    context_type: ClassVar[str] = ""

    def __init__(
        self, contexts: Contexts, stored: StoredContext, definitions: dict[str, Property]
    ) -> None:
        self.contexts = contexts
        self.name = stored.name
        self.stored = stored
        self.definitions = definitions

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    @property
    def short_name(self) -> str:
        """The name without ``@``, as used in file and folder names."""
        return short_name(self.name)

    def raw(self, key: str) -> Any:
        """The stored value of ``key``, else its default; references stay ``@names``."""
        if key in self.stored.properties:
            return self.stored.properties[key]
        prop = self.definitions.get(key)
        return prop.default_for(self.stored.properties) if prop is not None else None

    def get(self, key: str) -> Any:
        """The value of ``key``; a reference resolves to the context object it names."""
        value = self.raw(key)
        prop = self.definitions.get(key)
        if prop is not None and prop.kind == "ref" and value:
            return self.contexts.load(value, expected_type=prop.ref_type, referrer=(self, key))
        return value

    def __getattr__(self, key: str) -> Any:
        # Only called for names that are not real attributes: read them as properties.
        if key.startswith("_") or key not in self.__dict__.get("definitions", {}):
            raise AttributeError(f"{type(self).__name__} has no attribute or property {key!r}")
        return self.get(key)

    def secret_values(self) -> list[Any]:
        """The values of the secret properties that are set."""
        return [
            value
            for key, value in self.stored.properties.items()
            if key in self.definitions and self.definitions[key].secret
        ]

    def public_properties(self) -> dict[str, Any]:
        """The stored properties without secrets, plus ``context_type`` (for result lines)."""
        public = {
            key: value
            for key, value in self.stored.properties.items()
            if not (key in self.definitions and self.definitions[key].secret)
        }
        return {"context_type": self.context_type, **public}

    def shown_properties(self) -> dict[str, Any]:
        """The stored properties with each secret replaced by ``********`` (for people)."""
        return {
            key: MASK if key in self.definitions and self.definitions[key].secret else value
            for key, value in sorted(self.stored.properties.items())
        }


class ServerContext(Context):
    """A server: its services and the transport that reaches it."""

    context_type = "server"

    def __init__(
        self, contexts: Contexts, stored: StoredContext, definitions: dict[str, Property]
    ) -> None:
        super().__init__(contexts, stored, definitions)
        self._services: dict[str, Service] = {}
        self._transport: Transport | None = None

    @property
    def transport(self) -> Transport:
        """How provision reaches this server: this machine, or SSH (:mod:`provision.ssh`)."""
        if self._transport is None:
            from ..ssh import transport_for

            self._transport = transport_for(self)
        return self._transport

    def service_type(self, kind: str) -> str:
        """The type of this server's ``kind`` service (``null`` when it has none)."""
        value = self.raw(f"{kind}_service_type")
        return str(value) if value else "null"

    def service(self, kind: str) -> Service:
        """This server's ``kind`` service (``"http"``, ``"db"``) as a service object."""
        if kind not in self._services:
            from ..plugins import service_types
            from ..services.null import null_service_class

            type_ = self.service_type(kind)
            service_class = service_types().get((kind, type_))
            if service_class is None and type_ == "null":
                service_class = null_service_class(kind)
            if service_class is None:
                raise ContextError(
                    f"The server {self.name} uses the {kind} service type {type_!r}, which "
                    "no installed plugin provides; install it or save the server with "
                    f"another --{kind}_service_type."
                )
            self._services[kind] = service_class(self)
        return self._services[kind]


class PlatformContext(Context):
    """A platform: a codebase on a web server."""

    context_type = "platform"

    def __init__(
        self, contexts: Contexts, stored: StoredContext, definitions: dict[str, Property]
    ) -> None:
        super().__init__(contexts, stored, definitions)
        #: The application driver found in the codebase, once a command has detected it.
        self.application: AppDriver | None = None

    @property
    def root(self) -> Path:
        """The codebase's folder."""
        return Path(self.raw("root"))

    @property
    def docroot(self) -> Path:
        """The folder the web server serves: the application's docroot, else the root."""
        return Path(self.application.docroot) if self.application is not None else self.root

    @property
    def web_server(self) -> ServerContext:
        """The server whose web service serves this platform."""
        server = self.get("web_server")
        assert isinstance(server, ServerContext)
        return server


class SiteContext(Context):
    """A site: a uri on a platform with its database."""

    context_type = "site"

    @property
    def uri(self) -> str:
        """The site's address: the ``uri`` property, else the context name without ``@``."""
        return str(self.raw("uri") or self.short_name)

    @property
    def served_aliases(self) -> list[str]:
        """The other addresses that serve the site (none while ``redirection`` is on)."""
        if self.raw("redirection"):
            return []
        return [str(alias) for alias in self.raw("aliases") or [] if alias != self.uri]

    @property
    def redirected_aliases(self) -> list[str]:
        """The other addresses that answer with a permanent redirect to the uri: the
        ``redirect_aliases``, and every alias while the site-wide ``redirection`` is on."""
        every = [*(self.raw("aliases") if self.raw("redirection") else []),
                 *(self.raw("redirect_aliases") or [])]
        return [str(alias) for alias in dict.fromkeys(every) if alias != self.uri]

    @property
    def platform(self) -> PlatformContext:
        """The platform the site runs on."""
        platform = self.get("platform")
        assert isinstance(platform, PlatformContext)
        return platform

    @property
    def driver(self) -> AppDriver:
        """The application driver of the site's platform (detected on first use)."""
        platform = self.platform
        if platform.application is None:
            from ..apps import detect
            from ..errors import ApplicationError
            from ..plugins import app_drivers

            platform.application = detect(platform.root, app_drivers())
            if platform.application is None:
                raise ApplicationError(
                    f"No Drupal or WordPress codebase was found in {platform.root}, the root of "
                    f"{platform.name}; verify the platform before its sites."
                )
        return platform.application

    @property
    def site_path(self) -> Path:
        """The site's folder: ``<sites folder of the platform>/<uri>``."""
        return self.driver.sites_dir / self.uri

    @property
    def web_server(self) -> ServerContext:
        """The server whose web service serves the site (its platform's)."""
        return self.platform.web_server

    @property
    def db_server(self) -> ServerContext:
        """The server holding the site's database."""
        server = self.get("db_server")
        assert isinstance(server, ServerContext)
        return server


CONTEXT_CLASSES: dict[str, type[Context]] = {
    cls.context_type: cls for cls in (ServerContext, PlatformContext, SiteContext)
}
