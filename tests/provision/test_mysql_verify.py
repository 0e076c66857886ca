"""Server verify of the mysql service against the machine's real MariaDB."""

from __future__ import annotations

from pathlib import Path

import pymysql
import pytest

from tests.fixtures.stack import MariaDBAdmin
from tests.provision.helpers import provision

pytestmark = pytest.mark.mariadb


def save_db_server(root: Path, admin: MariaDBAdmin, **overrides: object) -> None:
    """A server context whose mysql service uses the test session's admin account."""
    properties = {
        "remote_host": admin.host,
        "db_service_type": "mysql",
        "db_port": admin.port,
        "db_user": admin.user,
        "db_passwd": admin.password,
        **overrides,
    }
    payload = {"contexts": [{"name": "@server_master",
                             "properties": {"context_type": "server", **properties}}]}
    # Backend mode: the password travels on stdin, as the dispatcher sends it.
    run = provision(root, "@server_master", "noop", backend=True, payload=payload)
    assert run.returncode == 0, run.stdout


def probe_leftovers(admin: MariaDBAdmin) -> list[str]:
    """Databases and users named like the throw-away ones verify creates."""
    connection = admin.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW DATABASES LIKE 'aegir\\_probe\\_%'")
            found = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT User FROM mysql.user WHERE User LIKE 'aegir\\_probe\\_%'")
            return found + [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def test_verify_reports_the_version_and_utf8mb4_and_leaves_nothing_behind(
    tmp_path: Path, mariadb_admin: MariaDBAdmin
) -> None:
    save_db_server(tmp_path, mariadb_admin)

    run = provision(tmp_path, "@server_master", "verify", backend=True)

    assert run.returncode == 0, run.stdout
    db = run.result["object"]["services"]["db"]
    assert db["type"] == "mysql"
    assert "MariaDB" in db["version"]
    assert db["utf8mb4"] is True
    assert any("can create and drop databases" in line for line in run.messages("ok"))
    assert probe_leftovers(mariadb_admin) == []
    assert mariadb_admin.password not in run.stdout


def test_verify_connects_through_a_unix_socket_when_one_is_set(
    tmp_path: Path, mariadb_admin: MariaDBAdmin
) -> None:
    save_db_server(tmp_path, mariadb_admin, db_host="localhost", db_socket=mariadb_admin.socket)

    run = provision(tmp_path, "@server_master", "verify", backend=True)

    assert run.returncode == 0, run.stdout
    assert f"(socket {mariadb_admin.socket})" in " ".join(run.messages("ok"))


def test_a_wrong_password_fails_with_the_address_and_the_servers_message(
    tmp_path: Path, mariadb_admin: MariaDBAdmin
) -> None:
    save_db_server(tmp_path, mariadb_admin, db_passwd="not-the-password")

    run = provision(tmp_path, "@server_master", "verify", backend=True)

    assert run.returncode == 1
    assert (
        f"provision cannot connect to the database server at 127.0.0.1:3306 as "
        f"{mariadb_admin.user}: Access denied for user"
    ) in run.errors
    assert "not-the-password" not in run.stdout


def test_an_account_without_grant_option_fails_and_cleans_up(
    tmp_path: Path, mariadb_admin: MariaDBAdmin
) -> None:
    # An account that may create databases but not users.
    weak_user, weak_password = f"{mariadb_admin.user}_weak", "weak-pw-123"
    connection = mariadb_admin.connect()
    with connection.cursor() as cursor:
        cursor.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (weak_user, weak_password))
        cursor.execute("GRANT CREATE, DROP ON *.* TO %s@'127.0.0.1'", (weak_user,))
    try:
        save_db_server(tmp_path, mariadb_admin, db_user=weak_user, db_passwd=weak_password)

        run = provision(tmp_path, "@server_master", "verify", backend=True)

        assert run.returncode == 1
        assert f"The database account {weak_user} at 127.0.0.1:3306 cannot create a user" in (
            run.errors
        )
        assert "GRANT OPTION" in run.errors
        assert probe_leftovers(mariadb_admin) == []
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP USER IF EXISTS %s@'127.0.0.1'", (weak_user,))
        connection.close()


def test_a_server_without_admin_account_is_told_what_to_save(tmp_path: Path) -> None:
    run = provision(tmp_path, "save", "@server_master", "--context_type=server",
                    "--db_service_type=mysql")
    verify = provision(tmp_path, "@server_master", "verify")

    assert run.returncode == 0
    assert verify.returncode == 1
    assert "has no database admin account: save it with --db_user and --db_passwd" in (
        verify.errors
    )


def test_the_fixture_account_is_a_real_mariadb_login(mariadb_admin: MariaDBAdmin) -> None:
    # Guards the other tests: they are only meaningful against a server that checks passwords.
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(host=mariadb_admin.host, port=mariadb_admin.port,
                        user=mariadb_admin.user, password="wrong", connect_timeout=5)


@pytest.mark.mariadb
def test_a_database_server_on_this_machine_is_reached_without_a_tls_context(
    mariadb_admin: MariaDBAdmin,
) -> None:
    """PyMySQL would otherwise read every system CA certificate for each connection (its
    "preferred" TLS), most of a short provision command's time; a remote server keeps it."""
    from provision.services.db.connection import Credentials, connect, on_this_machine

    for local in (("127.0.0.1", None), ("::1", None), ("localhost", None),
                  ("10.99.1.2", "/run/mysqld/mysqld.sock")):
        assert on_this_machine(*local), local
    for remote in ("10.99.1.2", "db.example.com", "192.0.2.1"):
        assert not on_this_machine(remote)
    connection = connect(Credentials(mariadb_admin.host, mariadb_admin.port, mariadb_admin.user,
                                     mariadb_admin.password))
    try:
        assert connection.ssl is False
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        connection.close()
