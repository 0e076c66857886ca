"""MySQL and MariaDB: an admin account with GRANT OPTION creates sites' databases and users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import validation
from ...contexts.properties import Property
from ...errors import ServiceError
from ..base import Service
from .connection import Credentials, connect, quote_identifier, server_message
from .sites import SiteDatabases

if TYPE_CHECKING:
    from ...log import Logger


class MysqlService(SiteDatabases, Service):
    """A MySQL or MariaDB server reached with the admin credentials of the server context."""

    service = "db"
    type = "mysql"

    @classmethod
    def properties(cls) -> list[Property]:
        """Address, port or socket, and the admin account."""
        return [
            Property("db_port", "the database server's port", kind="port", default=3306),
            Property(
                "db_host",
                "the database server's address (default: the server's remote_host)",
                default_from=lambda stored: stored.get("remote_host") or "localhost",
                check=validation.host,
            ),
            Property("db_user", "an admin account with GRANT OPTION",
                     check=validation.database_user),
            Property("db_passwd", "the admin account's password", secret=True),
            Property("db_socket", "a unix socket to connect through instead of TCP", kind="path"),
        ]

    def credentials(self) -> Credentials:
        """The admin credentials, or a ServiceError saying which setting is missing."""
        user = self.setting("db_user")
        if not user:
            raise ServiceError(
                f"The server {self.server.name} has no database admin account: save it with "
                "--db_user and --db_passwd of an account that has GRANT OPTION."
            )
        return Credentials(
            host=str(self.setting("db_host")),
            port=int(self.setting("db_port")),
            user=str(user),
            password=str(self.setting("db_passwd") or ""),
            socket=self.setting("db_socket"),
        )

    def verify_server(self, logger: Logger) -> dict[str, Any]:
        """Connect, then prove the account can create and drop databases, users and grants."""
        credentials = self.credentials()
        connection = connect(credentials)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                version = str(cursor.fetchone()[0])
                cursor.execute("SHOW CHARACTER SET LIKE 'utf8mb4'")
                utf8mb4 = cursor.fetchone() is not None
            logger.ok(
                f"Connected to the database server at {credentials.where} as "
                f"{credentials.user} (version {version})."
            )
            self._probe(connection, credentials, logger)
        finally:
            connection.close()
        if utf8mb4:
            logger.ok("The database server supports utf8mb4.")
        else:
            logger.warning("The database server does not support utf8mb4; sites will use utf8.")
        return {"type": self.type, "version": version, "utf8mb4": utf8mb4}

    def _probe(self, connection: Any, credentials: Credentials, logger: Logger) -> None:
        """Create and drop a throw-away database and user; always clean up."""
        import secrets

        import pymysql

        suffix = secrets.token_hex(6)
        database = quote_identifier(f"aegir_probe_{suffix}")
        user = (f"aegir_probe_{suffix}", "localhost")
        step = "create a database"
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {database}")
                step = "create a user"
                cursor.execute(
                    "CREATE USER %s@%s IDENTIFIED BY %s", (*user, secrets.token_urlsafe(24))
                )
                step = "grant privileges"
                cursor.execute(f"GRANT ALL PRIVILEGES ON {database}.* TO %s@%s", user)
                step = "revoke privileges"
                cursor.execute(f"REVOKE ALL PRIVILEGES ON {database}.* FROM %s@%s", user)
                step = "drop a user"
                cursor.execute("DROP USER %s@%s", user)
                step = "drop a database"
                cursor.execute(f"DROP DATABASE {database}")
        except pymysql.MySQLError as error:
            raise ServiceError(
                f"The database account {credentials.user} at {credentials.where} cannot "
                f"{step}: {server_message(error)}. Give it ALL PRIVILEGES ON *.* WITH GRANT "
                "OPTION."
            ) from None
        finally:
            self._clean_up(connection, database, user, logger)
        logger.ok(
            "The database account can create and drop databases, and create, grant, revoke "
            "and drop users."
        )

    @staticmethod
    def _clean_up(connection: Any, database: str, user: tuple[str, str], logger: Logger) -> None:
        """Drop what the probe may have left; a failure here is a warning, not an error.

        Each statement runs on its own: an account that may not drop users may still drop
        the database.
        """
        import pymysql

        statements = [
            ("DROP USER IF EXISTS %s@%s", user, f"the test user {user[0]}"),
            (f"DROP DATABASE IF EXISTS {database}", None, f"the test database {database}"),
        ]
        for statement, arguments, what in statements:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(statement, arguments)
            except pymysql.MySQLError as error:
                logger.warning(
                    f"provision could not remove {what} ({server_message(error)}); drop it by "
                    "hand."
                )
