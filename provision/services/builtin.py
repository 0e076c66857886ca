"""The built-in service types, registered as a plugin like any other."""

from __future__ import annotations

from ..hookspecs import hookimpl
from .base import Service
from .db.mysql import MysqlService
from .http.apache import ApacheService
from .http.nginx import NginxService
from .null import NullDbService, NullHttpService


@hookimpl
def provision_service_types() -> list[type[Service]]:
    """apache, nginx and mysql, plus null for http and db."""
    return [NullHttpService, NullDbService, ApacheService, NginxService, MysqlService]
