"""Databases and users on a MySQL or MariaDB server that look like a site's and that no site
record owns (the rules are in provision/orphans.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ...orphans import Candidate, Orphan, Owners
from .connection import IDENTIFIER, connect

if TYPE_CHECKING:
    from ...contexts import Contexts
    from .mysql import MysqlService

SYSTEM_SCHEMAS = frozenset({"information_schema", "mysql", "performance_schema", "sys"})


class Account:
    """One user name on the server: its hosts, the databases it is granted on, and whether
    any of its accounts holds a global privilege."""

    def __init__(self) -> None:
        self.hosts: set[str] = set()
        self.databases: set[str] = set()
        self.privileged = False


def read_server(service: MysqlService) -> tuple[dict[str, str], dict[str, Account]]:
    """The server's databases (name → size for people) and accounts (name → Account)."""
    connection = connect(service.credentials())
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.SCHEMA_NAME, COUNT(t.TABLE_NAME), "
                "COALESCE(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0) "
                "FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t "
                "ON t.TABLE_SCHEMA = s.SCHEMA_NAME GROUP BY s.SCHEMA_NAME"
            )
            databases = {str(name): _size(int(tables), int(size))
                         for name, tables, size in cursor.fetchall()
                         if name not in SYSTEM_SCHEMAS}
            accounts: dict[str, Account] = {}
            cursor.execute("SELECT User, Host FROM mysql.user WHERE Host <> ''")  # not roles
            for user, host in cursor.fetchall():
                accounts.setdefault(str(user), Account()).hosts.add(str(host))
            cursor.execute("SELECT User, Db FROM mysql.db")
            for user, database in cursor.fetchall():
                if str(user) in accounts:
                    accounts[str(user)].databases.add(str(database).replace("\\_", "_"))
            cursor.execute(
                "SELECT GRANTEE FROM information_schema.USER_PRIVILEGES "
                "WHERE PRIVILEGE_TYPE <> 'USAGE'"
            )
            for (grantee,) in cursor.fetchall():
                user = _user_of(str(grantee))
                if user in accounts:
                    accounts[user].privileged = True
    finally:
        connection.close()
    return databases, accounts


def database_candidates(service: MysqlService, owners: Owners,
                        contexts: Contexts) -> Iterator[Candidate]:
    """The site-shaped databases and users on ``service``'s server that no site owns."""
    databases, accounts = read_server(service)
    known_databases = {site["db_name"] for site in owners.sites if site["db_name"]}
    known_users = known_databases | _site_users(owners, contexts)
    admin = service.credentials().user
    busy = owners.busy_database_names()

    def site_shaped(user: str) -> bool:
        account = accounts.get(user)
        if account is None or account.privileged or user == admin:
            return False
        if user in owners.former_databases:
            return account.databases <= {user}
        return account.databases == {user}

    for name, size in sorted(databases.items()):
        if name in known_databases or name in owners.keep_databases:
            continue
        if site_shaped(name) or name in owners.former_databases:
            detail = ("of a deleted site" if name in owners.former_databases
                      else "with a user of the same name") + f", {size}"
            yield Candidate(Orphan("database", name, detail), busy=name in busy)
    for user, account in sorted(accounts.items()):
        if user in known_users or user in owners.keep_db_users or not site_shaped(user):
            continue
        if IDENTIFIER.fullmatch(user) is None:
            continue
        granted = ", ".join(sorted(account.databases)) or "no database"
        hosts = ", ".join(sorted(account.hosts))
        yield Candidate(Orphan("db_user", user, f"granted on {granted}, from {hosts}"),
                        busy=user in busy)


def _site_users(owners: Owners, contexts: Contexts) -> set[str]:
    """The database users the site contexts of known sites name (install may add a suffix)."""
    users = set()
    for site in owners.sites:
        stored = _readable(contexts, "@" + site["uri"])
        if stored is not None and stored.properties.get("db_user"):
            users.add(str(stored.properties["db_user"]))
    return users


def _readable(contexts: Contexts, name: str) -> Any:
    try:
        return contexts.store.read(name)
    except Exception:  # an unreadable or badly named context says nothing about its user
        return None


def _user_of(grantee: str) -> str:
    """``user`` from ``'user'@'host'``."""
    return grantee.rsplit("@", 1)[0].strip("'")


def _size(tables: int, size: int) -> str:
    return f"{tables} table{'' if tables == 1 else 's'}, {size / 1048576:.1f} MB"
