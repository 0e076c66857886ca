"""The ``null`` service: what a server has when it does not run a service of some kind."""

from __future__ import annotations

from typing import Any

from ..log import Logger
from .base import Service


class NullService(Service):
    """No service of this kind on this server; verify says so and does nothing else."""

    type = "null"

    def verify_server(self, logger: Logger) -> dict[str, Any]:
        """Log that the server has no such service."""
        logger.info(f"The server {self.server.name} has no {self.service} service.")
        return {"type": self.type}


class NullHttpService(NullService):
    """A server that serves no web sites."""

    service = "http"


class NullDbService(NullService):
    """A server that holds no databases."""

    service = "db"


def null_service_class(kind: str) -> type[Service]:
    """A null service class for a kind of service that no plugin gave a null type for."""
    return type(f"Null{kind.title()}Service", (NullService,), {"service": kind})
