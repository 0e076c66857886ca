"""Sites' databases on a MySQL or MariaDB server: names, users, grants, create and drop.

The database name comes from the site's uri as the original derived it (``www.`` dropped,
dots and dashes removed, at most 16 characters, ``_N`` added while the name is taken); the
user has the same name and a random password, and is granted ALL on that database only, from
the web server's addresses as the database server sees them.
"""

from __future__ import annotations

import re
import secrets
import socket
import string
from typing import TYPE_CHECKING, Any

from ...errors import ServiceError
from .connection import Credentials, connect, quote_identifier, server_message
from .credentials import SiteCredentials

if TYPE_CHECKING:
    from ...contexts.model import ServerContext
    from ...log import Logger

NAME_LENGTH = 16
PASSWORD_LENGTH = 32
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Grants for a web server on the database server's own machine: a TCP login from 127.0.0.1
# matches user@localhost on some servers and user@127.0.0.1 on others, so both are granted.
LOCAL_GRANT_HOSTS = ("localhost", "127.0.0.1")


def database_base_name(uri: str) -> str:
    """The database name a uri suggests before any suffix (``www.ex-am.pl`` → ``exampl``)."""
    name = re.sub(r"^www\.", "", uri.lower())
    name = re.sub(r"[^a-z0-9_]", "", name)
    return (name or "site")[:NAME_LENGTH]


def candidate_names(uri: str, tries: int = 100) -> list[str]:
    """The names to try in order: the base name, then ``base_1``, ``base_2`` ... within 16 chars."""
    base = database_base_name(uri)
    names = [base]
    for number in range(1, tries):
        suffix = f"_{number}"
        names.append(base[: NAME_LENGTH - len(suffix)] + suffix)
    return names


def new_password() -> str:
    """A random password of letters and digits (safe in every configuration syntax)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH))


def both_on_master(web_server: ServerContext, db_server: ServerContext) -> bool:
    """Whether the web server and the database server are both the machine provision runs on."""
    return not web_server.transport.remote and not db_server.transport.remote


def master_addresses(host: str, port: int) -> list[str]:
    """The master's address as a database server at ``host`` sees its connections.

    provision's PHP helpers (install, cron, login links) run on the master with the site's
    account, so the site's user is granted from there too. The kernel picks the source
    address of a connection to ``host``; connecting a UDP socket asks it without sending
    anything.
    """
    if host in LOCAL_HOSTS:
        return list(LOCAL_GRANT_HOSTS)
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                           socket.SOCK_DGRAM) as probe:
            probe.connect((host, port))
            address = str(probe.getsockname()[0])
    except OSError as error:
        raise ServiceError(
            f"The master cannot reach the database server at {host}:{port} ({error}); check "
            "its db_host, or the network between them."
        ) from None
    return list(LOCAL_GRANT_HOSTS) if address in LOCAL_HOSTS else [address]


class SiteDatabases:
    """The site operations of the mysql service (mixed into MysqlService)."""

    server: ServerContext

    if TYPE_CHECKING:
        # Provided by MysqlService, which this class is mixed into.
        def credentials(self) -> Credentials: ...

    # Where the web server is, as the database server sees it -------------------------------

    def grant_hosts(self, web_server: ServerContext) -> list[str]:
        """The hosts the site's user is granted from: the web server's addresses as the
        database server sees them, and the master's (where provision's helpers run)."""
        if both_on_master(web_server, self.server):
            return list(LOCAL_GRANT_HOSTS)
        hosts = []
        if web_server.transport.remote:
            hosts = [str(address) for address in web_server.raw("ip_addresses") or []]
            if not hosts and web_server.raw("remote_host"):
                hosts = [str(web_server.raw("remote_host"))]
            if not hosts:
                raise ServiceError(
                    f"The web server {web_server.name} has neither ip_addresses nor "
                    "remote_host, so the database cannot be granted to it; save it with "
                    "--ip_addresses."
                )
        master = master_addresses(self.host_for(web_server), int(self.server.raw("db_port")))
        return list(dict.fromkeys(hosts + master))

    def host_for(self, web_server: ServerContext) -> str:
        """The database server's address as the web server reaches it."""
        db_host = str(self.server.raw("db_host") or "")
        if both_on_master(web_server, self.server):
            return db_host
        candidates = [db_host, *(self.server.raw("ip_addresses") or []),
                      str(self.server.raw("remote_host") or "")]
        for candidate in candidates:
            if candidate and str(candidate) not in LOCAL_HOSTS:
                return str(candidate)
        raise ServiceError(
            f"The database server {self.server.name} is known only as {db_host or 'localhost'}, "
            f"which the web server {web_server.name} cannot reach; give it an address others "
            "reach (--ip_addresses or --db_host)."
        )

    # Queries ------------------------------------------------------------------------------

    def _query(self, statement: str, arguments: Any = None) -> list[tuple[Any, ...]]:
        connection = connect(self.credentials())
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, arguments)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def database_exists(self, name: str) -> bool:
        """Whether a database called ``name`` exists."""
        return bool(self._query("SHOW DATABASES LIKE %s", (_like(name),)))

    def user_hosts(self, user: str) -> list[str]:
        """The hosts an account called ``user`` exists for."""
        return sorted(str(row[0]) for row in self._query(
            "SELECT Host FROM mysql.user WHERE User = %s", (user,)))

    def table_count(self, name: str) -> int:
        """How many tables the database ``name`` holds."""
        rows = self._query("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                           (name,))
        return int(rows[0][0]) if rows else 0

    def free_database_name(self, uri: str) -> str:
        """The first candidate name for ``uri`` that is neither a database nor a user, and that
        no running command has reserved; with a journal open, the name is reserved for it."""
        from ...journal import current, reserve_name

        journal = current()
        for name in candidate_names(uri):
            if self.database_exists(name) or self.user_hosts(name):
                continue
            if journal is not None and not reserve_name(
                    self.server.contexts.root, self.server.name, name, journal.id):
                continue  # another command is creating it right now
            return name
        raise ServiceError(
            f"Every database name derived from {uri} is taken on {self.server.name}; drop "
            "unused databases, then install again."
        )

    # Create and drop ----------------------------------------------------------------------

    def create_site_database(
        self, uri: str, web_server: ServerContext, logger: Logger
    ) -> SiteCredentials:
        """A new database and user for ``uri``, granted from the web server's addresses.

        The name is reserved first, and each database and user is recorded in the command's
        journal before it is made: an undo (or a recovery after a kill) drops exactly what
        this command created, never a database of the same name made by another.
        """
        from ...journal import current, release_name

        journal = current()
        hosts = self.grant_hosts(web_server)
        for _attempt in range(10):
            name = self.free_database_name(uri)
            try:
                password = self._create(name, hosts, logger)
            except _NameTaken:
                if journal is not None:
                    release_name(self.server.contexts.root, self.server.name, name, journal.id)
                continue
            logger.ok(f"Created the database {name} and its user, granted from "
                      f"{', '.join(hosts)}.")
            return SiteCredentials(name, name, password, self.host_for(web_server),
                                   int(self.server.raw("db_port")))
        raise ServiceError(
            f"Other programs kept creating databases named like {uri} on {self.server.name} "
            "while provision chose one; try again."
        )

    def _create(self, name: str, hosts: list[str], logger: Logger) -> str:
        """Create database ``name`` and its user at each host; returns the user's password."""
        from ...journal import current

        journal = current()
        password = new_password()
        logger.add_secret(password)
        database = quote_identifier(name)
        made: list[tuple[str, str]] = []  # what to drop on failure when no journal does it
        connection = connect(self.credentials())
        step = f"create the database {name}"
        try:
            with connection.cursor() as cursor:
                record = journal.undo({"type": "database", "server": self.server.name,
                                       "name": name, "owner": journal.id}) if journal else 0
                try:
                    cursor.execute(f"CREATE DATABASE {database} CHARACTER SET utf8mb4 "
                                   "COLLATE utf8mb4_general_ci")
                except Exception as error:
                    if _error_code(error) == ER_DB_CREATE_EXISTS:
                        if journal is not None:
                            journal.cancel(record)
                        raise _NameTaken(name) from None
                    raise
                made.append(("database", name))
                if journal is not None:
                    journal.done(record)
                for host in hosts:
                    step = f"create the user {name}@{host}"
                    record = journal.undo({"type": "db_user", "server": self.server.name,
                                           "user": name, "host": host}) if journal else 0
                    cursor.execute("CREATE USER %s@%s IDENTIFIED BY %s", (name, host, password))
                    made.append(("user", host))
                    if journal is not None:
                        journal.done(record)
                    step = f"grant {name}@{host} access to {name}"
                    cursor.execute(f"GRANT ALL PRIVILEGES ON {database}.* TO %s@%s", (name, host))
        except _NameTaken:
            raise
        except Exception as error:
            if journal is None:
                self._drop_made(name, made)
            raise ServiceError(
                f"The database server {self.server.name} could not {step}: "
                f"{server_message(error)}; check its admin account's privileges."
            ) from None
        finally:
            connection.close()
        return password

    def _drop_made(self, name: str, made: list[tuple[str, str]]) -> None:
        for kind, what in reversed(made):
            try:
                if kind == "user":
                    self.drop_user_at(name, what)
                else:
                    self._query(f"DROP DATABASE {quote_identifier(name)}")
            except Exception:  # the original error matters more
                pass

    def drop_site_database(self, name: str, logger: Logger, *, quiet: bool = False) -> bool:
        """Drop the database ``name``; False (and a warning unless ``quiet``) when it is gone.

        Before a command's commit point only a database that command created may go."""
        self._refuse_before_commit("database", name)
        if not self.database_exists(name):
            if not quiet:
                logger.warning(f"The database {name} did not exist; nothing was dropped.")
            return False
        self._query(f"DROP DATABASE {quote_identifier(name)}")
        logger.info(f"Dropped the database {name}.")
        return True

    def drop_site_user(self, user: str, logger: Logger, *, quiet: bool = False) -> bool:
        """Revoke every privilege of ``user`` at every host and drop it; False when it is gone."""
        self._refuse_before_commit("db_user", user)
        hosts = self.user_hosts(user)
        if not hosts:
            if not quiet:
                logger.warning(f"The database user {user} did not exist; nothing was dropped.")
            return False
        for host in hosts:
            self.drop_user_at(user, host)
        logger.info(f"Revoked the privileges of the database user {user} and dropped it.")
        return True

    def drop_user_at(self, user: str, host: str) -> None:
        """Revoke everything of ``user``@``host`` and drop that account."""
        self._query("REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s", (user, host))
        self._query("DROP USER %s@%s", (user, host))

    def _refuse_before_commit(self, kind: str, name: str) -> None:
        from ...journal import current

        journal = current()
        if journal is not None and not journal.created(kind, self.server.name, name):
            raise ServiceError(
                f"provision refuses to drop the {'database' if kind == 'database' else 'user'} "
                f"{name} before the command reaches its commit point: it did not create it. "
                "This is a bug in the command."
            )


class _NameTaken(Exception):
    """CREATE DATABASE found the name taken (created outside provision meanwhile)."""


#: MySQL's "Can't create database; database exists".
ER_DB_CREATE_EXISTS = 1007


def _error_code(error: Exception) -> int | None:
    args = getattr(error, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _like(name: str) -> str:
    """``name`` as a LIKE pattern that matches only itself."""
    return name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
