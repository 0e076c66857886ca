"""The spoke of the remote-site tests: the master's aegir root and its remote hosts (network
namespaces, tests/fixtures/remote_hosts.py), with provision run in this process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pymysql

from tests.fixtures.platforms import make_wordpress_platform
from tests.fixtures.remote_hosts import RemoteHost
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.stack_process import poll
from tests.provision.sites_support import Ran, run_here


def options(properties: dict[str, Any]) -> list[str]:
    return [f"--{key}={value}" for key, value in properties.items()]


class Spoke:
    """The master's aegir root and the remote hosts, with provision run in this process."""

    def __init__(self, root: Path, web1: RemoteHost, web2: RemoteHost,
                 admin: MariaDBAdmin) -> None:
        self.root, self.web1, self.web2, self.admin = root, web1, web2, admin

    def run(self, *words: str) -> Ran:
        return run_here(self.root, *words)

    def must(self, *words: str) -> Ran:
        ran = self.run(*words)
        assert ran.status == 0, ran.text
        return ran

    def master_query(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        connection = self.admin.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, args)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def web2_query(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        return host_query(self.web2, sql, args)

    def platform(self, name: str, server: str) -> None:
        """A verified WordPress platform ``@platform_<name>`` on ``server`` (made once)."""
        if (self.root / "platforms" / name).exists():
            return
        self.must(server, "verify")
        make_wordpress_platform(self.root / "platforms" / name)
        self.must("save", f"@platform_{name}", "--context_type=platform",
                  f"--root={self.root / 'platforms' / name}", f"--web_server={server}")
        self.must(f"@platform_{name}", "verify")


def host_query(host: RemoteHost, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the MariaDB of ``host``."""
    address, port, user, password = host.mariadb_admin()
    connection = pymysql.connect(host=address, port=port, user=user, password=password)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return list(cursor.fetchall())
    finally:
        connection.close()


def save_remote_server(spoke: Spoke, name: str, host: RemoteHost, **extra: Any) -> None:
    """Save the server context of ``host`` (its web server; ``extra``: e.g. its database)."""
    spoke.must("save", name, "--context_type=server", *options({
        "remote_host": host.hostname, "ip_addresses": host.address, "ssh_user": "root",
        "ssh_key_file": host.key_file, "master_url": "http://hostmaster.test",
        **host.http_properties(), **extra}))


def database_properties(host: RemoteHost) -> dict[str, Any]:
    """The database service properties of a server context for the MariaDB of ``host``."""
    address, port, user, password = host.mariadb_admin()
    return {"db_service_type": "mysql", "db_host": address, "db_port": port, "db_user": user,
            "db_passwd": password}


def wait_served(host: RemoteHost, uri: str, text: str, path: str = "/") -> str:
    """Poll ``host``'s web server until ``path`` of ``uri`` answers 200 with ``text``."""
    seen: list[str] = []

    def served() -> bool:
        status, body = host.get(path, uri)
        seen[:] = [f"{status}: {body[:300]}"]
        return status == 200 and text in body

    assert poll(served, 30), f"{uri} was not served by {host.name} with {text!r}: {seen}"
    return seen[0]
