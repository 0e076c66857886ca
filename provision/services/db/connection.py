"""The one way provision talks to MySQL or MariaDB: PyMySQL, with readable failures."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import ServiceError

if TYPE_CHECKING:
    import pymysql.connections

CONNECT_TIMEOUT = 10
IDENTIFIER = re.compile(r"[A-Za-z0-9_]{1,64}")


@dataclass(frozen=True)
class Credentials:
    """Where a database server is and who to log in as; ``socket`` wins over host and port."""

    host: str
    port: int
    user: str
    password: str
    socket: str | None = None

    def __repr__(self) -> str:
        # Never let the password reach a log through a repr.
        return f"Credentials({self.where}, user={self.user!r})"

    @property
    def where(self) -> str:
        """The server's address as a person reads it."""
        address = f"{self.host}:{self.port}"
        return f"{address} (socket {self.socket})" if self.socket else address


def on_this_machine(host: str | None, socket: str | None = None) -> bool:
    """Whether a database server is reached over a unix socket or this machine's loopback."""
    if socket or host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return False


def connect(
    credentials: Credentials, *, database: str | None = None
) -> pymysql.connections.Connection:
    """An autocommit connection (utf8mb4) to the server, or a ServiceError saying why not."""
    import pymysql

    options: dict[str, Any] = {
        "user": credentials.user,
        "password": credentials.password,
        "database": database,
        "connect_timeout": CONNECT_TIMEOUT,
        "charset": "utf8mb4",
        "autocommit": True,
    }
    if credentials.socket:
        options["unix_socket"] = credentials.socket
    else:
        options["host"] = credentials.host
        options["port"] = credentials.port
    if on_this_machine(credentials.host, credentials.socket):
        # TLS on a socket or the loopback protects nothing, and PyMySQL's default ("preferred")
        # builds a TLS context, reading and parsing the system's CA certificates, for every
        # connection: most of a short provision command's time. Remote servers keep it.
        options["ssl_disabled"] = True
    try:
        return pymysql.connect(**options)
    except pymysql.MySQLError as error:
        raise ServiceError(
            f"provision cannot connect to the database server at {credentials.where} as "
            f"{credentials.user}: {server_message(error)}. Check the server's db_host, db_port, "
            "db_user and db_passwd, and that the database server is running."
        ) from None


def server_message(error: Exception) -> str:
    """The database server's own message from a PyMySQL error (without the error tuple)."""
    if len(error.args) >= 2:
        return str(error.args[1])
    return str(error)


def quote_identifier(name: str) -> str:
    """``name`` in backquotes; only plain names (letters, digits, _) are accepted."""
    if IDENTIFIER.fullmatch(name) is None:
        raise ServiceError(f"{name!r} cannot be used as a database name or user name.")
    return f"`{name}`"
