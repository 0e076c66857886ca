"""A site's database password stays secret, and its account reaches its own database only."""

from __future__ import annotations

import grp
import os
import subprocess
from pathlib import Path

import pytest

from provision.errors import ServiceError
from provision.layout import CREDENTIALS_NAME_KEY
from provision.services.db.connection import Credentials
from provision.services.db.dump import dump_database
from provision.services.db.sites import candidate_names, database_base_name
from provision.transport import LocalTransport
from tests.fixtures.stack import MariaDBAdmin
from tests.provision.sites_support import SiteStack, command_lines_sampled, unique_uri


def test_database_names_come_from_the_uri_without_www_dots_and_dashes() -> None:
    assert database_base_name("www.my-shop.example.com") == "myshopexamplecom"
    assert database_base_name("a.b") == "ab"
    names = candidate_names("www.my-shop.example.com", tries=12)
    assert names[:3] == ["myshopexamplecom", "myshopexamplec_1", "myshopexamplec_2"]
    assert names[11] == "myshopexample_11"
    assert all(len(name) <= 16 for name in names)


def test_the_password_is_on_no_command_line_in_no_log_and_only_in_context_and_credentials(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()
    with command_lines_sampled() as command_lines:
        install = site_stack.install(uri)
        backup = site_stack.must(f"@{uri}", "backup")
    password = site_stack.context(uri)["db_passwd"].encode()
    # The site's password, and the database admin's (backup and install use it).
    secrets = (password, site_stack.admin.password.encode())

    assert len(command_lines) > 5  # the sampler saw the commands provision ran
    assert not [line for line in command_lines for secret in secrets if secret in line]
    assert not [secret for secret in secrets if secret.decode() in install.text + backup.text]
    holders = {
        path for folder in (site_stack.root, site_stack.platform_root)
        for path in folder.rglob("*") if path.is_file() and password in path.read_bytes()
    }
    context_file = site_stack.root / "contexts" / f"{uri}.json"
    credentials = site_stack.credentials(uri)
    assert holders == {context_file, credentials}
    assert context_file.stat().st_mode & 0o777 == 0o600
    # The web server's workers read the credentials file through its group; nobody else can.
    assert credentials.stat().st_mode & 0o777 == 0o640
    assert grp.getgrgid(credentials.stat().st_gid).gr_name == "www-data"
    assert credentials.stat().st_uid == os.geteuid()  # the user provision runs as
    assert credentials.parent.stat().st_mode & 0o7777 == 0o2710
    assert not credentials.is_relative_to(site_stack.platform_root)
    assert str(credentials) in site_stack.vhost(uri).read_text()
    archive = Path(backup.result["backup_file"])
    assert archive.stat().st_mode & 0o777 == 0o600


def test_another_sites_php_cannot_find_a_sites_credentials_file(site_stack: SiteStack) -> None:
    """Every site's PHP runs in the web group, which reads the credentials files: a file is
    found only by its name, which is not the domain (anyone knows it) and which no one but
    provision can work out (a keyed hash; the key is the aegir user's alone)."""
    uri = unique_uri()
    site_stack.install(uri)
    credentials = site_stack.credentials(uri)
    assert uri not in credentials.name
    key = site_stack.root / CREDENTIALS_NAME_KEY

    def as_web_user(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["runuser", "-u", "www-data", "--", *command],
                              capture_output=True, text=True, check=False)

    assert as_web_user("cat", str(credentials)).returncode == 0, "the web server reads it"
    assert as_web_user("ls", str(credentials.parent)).returncode != 0, "but cannot list"
    guessed = credentials.parent / f"{uri}.json"
    assert as_web_user("cat", str(guessed)).returncode != 0
    assert as_web_user("cat", str(key)).returncode != 0, "nor read the key of the names"
    assert key.stat().st_mode & 0o777 == 0o600
    # The name stays the same from one run to the next: a verify rewrites the same file.
    site_stack.must(f"@{uri}", "verify")
    assert site_stack.credentials(uri) == credentials and credentials.is_file()
    assert sorted(credentials.parent.iterdir()) == [credentials]


def test_the_site_account_is_granted_its_own_database_only_from_the_web_server(
    site_stack: SiteStack, mariadb_admin: MariaDBAdmin
) -> None:
    uri = unique_uri()
    name = site_stack.install(uri).result["db_name"]

    connection = mariadb_admin.connect()
    with connection.cursor() as cursor:
        cursor.execute("SELECT Host FROM mysql.user WHERE User = %s", (name,))
        hosts = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT Db FROM mysql.db WHERE User = %s", (name,))
        databases = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT Select_priv, Grant_priv FROM mysql.user WHERE User = %s", (name,))
        global_privileges = set(cursor.fetchall())
    connection.close()

    assert hosts == {"localhost", "127.0.0.1"}
    assert databases == {name}
    assert global_privileges == {("N", "N")}


def test_the_dump_of_an_empty_database_fails_and_leaves_no_file(
    mariadb_admin: MariaDBAdmin, tmp_path: Path
) -> None:
    name = f"hm_tiny_{os.getpid()}"
    connection = mariadb_admin.connect()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
    credentials = Credentials(mariadb_admin.host, mariadb_admin.port, mariadb_admin.user,
                              mariadb_admin.password)
    try:
        with pytest.raises(ServiceError, match="holds no table"):
            dump_database(LocalTransport(), credentials, name, tmp_path / "database.sql")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE `{name}`")
        connection.close()
    assert list(tmp_path.iterdir()) == []


def test_a_remote_web_server_is_granted_from_its_own_addresses(tmp_path: Path) -> None:
    from provision.contexts import Contexts, ServerContext
    from provision.services.db.mysql import MysqlService

    contexts = Contexts(tmp_path)
    contexts.save("@server_master", {"context_type": "server", "remote_host": "localhost",
                                     "ip_addresses": "127.0.0.2",
                                     "db_service_type": "mysql", "db_host": "127.0.0.1"})
    contexts.save("@server_web1", {"context_type": "server", "remote_host": "web1.example",
                                   "ip_addresses": "10.99.1.2,10.99.1.3"})
    contexts.save("@server_web2", {"context_type": "server", "remote_host": "web2.example"})

    def server(name: str) -> ServerContext:
        context = contexts.load(name)
        assert isinstance(context, ServerContext)
        return context

    db = server("@server_master").service("db")
    assert isinstance(db, MysqlService)
    assert db.grant_hosts(server("@server_master")) == ["localhost", "127.0.0.1"]
    # Remote web servers reach the master's database at its IP address; the master itself
    # (where provision's PHP helpers run) is granted as the database server sees it, here
    # through the loopback interface.
    assert db.host_for(server("@server_web1")) == "127.0.0.2"
    assert db.grant_hosts(server("@server_web1")) == [
        "10.99.1.2", "10.99.1.3", "localhost", "127.0.0.1"]
    assert db.grant_hosts(server("@server_web2")) == ["web2.example", "localhost", "127.0.0.1"]
