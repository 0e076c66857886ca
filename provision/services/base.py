"""The interface every service type implements, and what they share.

A service class names its ``service`` (the kind: ``http``, ``db``) and its ``type``
(``apache``, ``nginx``, ``mysql``, ``null``), declares the server properties it adds, and
verifies the server (and, for http, the platforms it serves). Services reach their server only
through ``self.transport``, so a remote server needs another transport, not another service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..contexts.properties import Property
from ..render import render

if TYPE_CHECKING:
    from ..contexts.model import Context, PlatformContext, ServerContext
    from ..log import Logger
    from ..transport import Transport


class Service:
    """A service of one server."""

    #: The kind of service: ``http``, ``db``.
    service: ClassVar[str] = ""
    #: The implementation: ``apache``, ``nginx``, ``mysql``, ``null``.
    type: ClassVar[str] = ""

    def __init__(self, server: ServerContext) -> None:
        self.server = server

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.service}/{self.type} of {self.server.name}>"

    @classmethod
    def properties(cls) -> list[Property]:
        """The server properties this service adds, with their defaults and secrecy."""
        return []

    @property
    def transport(self) -> Transport:
        """How this service reaches its server."""
        return self.server.transport

    def setting(self, key: str) -> Any:
        """The server's value of property ``key``, or its default."""
        return self.server.raw(key)

    def verify_server(self, logger: Logger) -> dict[str, Any]:
        """Check and configure the service on its server; returns what the result reports."""
        return {"type": self.type}

    def verify_platform(self, platform: PlatformContext, logger: Logger) -> dict[str, Any]:
        """Configure the service for ``platform`` (the web server writes its platform file)."""
        return {}

    def config_test(self) -> None:
        """Test the service's configuration; raise ServiceError when it is broken."""

    def reload(self) -> None:
        """Make the running service read its configuration again."""

    def render(self, template: str, **variables: Any) -> str:
        """Render one of provision's templates with ``service``, ``server`` and ``variables``."""
        return render(template, service=self, server=self.server, **variables)

    def extra_config(self, context: Context, config: str) -> list[str]:
        """The lines plugins add to the ``config`` file written for ``context``."""
        from ..plugins import plugin_manager

        lines: list[str] = []
        results = plugin_manager().hook.provision_http_extra_config(
            service=self, context=context, config=config
        )
        # pluggy returns the most recent plugin first; write the oldest plugin's lines first.
        for result in reversed(results):
            if isinstance(result, str):
                lines.extend(result.splitlines())
            elif result:
                lines.extend(str(line) for line in result)
        return lines
