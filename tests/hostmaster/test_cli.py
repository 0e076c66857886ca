"""The ``hostmaster`` command line: users, servers, tasks, bootstrap, the cron entry point."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pymysql
from flask import Flask
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Server, ServerService, Task, TaskStatus, User
from hostmaster.services import contexts
from tests.hostmaster.helpers import null_server, project_root


def test_user_create_asks_for_the_password_and_stores_only_its_hash(
    app: Flask, runner: Any
) -> None:
    result = runner.invoke(
        args=["user", "create", "bob", "--email", "bob@example.com"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "bob")).one()
        assert user.check_password("a long enough password")
        assert "a long enough password" not in user.password_hash


def test_user_create_refuses_a_short_password(app: Flask, runner: Any) -> None:
    result = runner.invoke(
        args=["user", "create", "bob", "--email", "bob@example.com"], input="short\nshort\n"
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "bob")) is None


def test_server_add_registers_the_server_and_queues_its_verify(app: Flask, runner: Any) -> None:
    result = runner.invoke(
        args=[
            "server",
            "add",
            "db1.example.com",
            "--ip",
            "192.0.2.10",
            "--db",
            "mysql",
            "--db-user",
            "admin",
        ],
        env={"HOSTMASTER_DB_PASSWORD": "s3cret-password"},
    )
    assert result.exit_code == 0, result.output
    assert "s3cret-password" not in result.output
    with app.app_context():
        server = db.session.scalars(select(Server)).one()
        assert [ip.address for ip in server.ip_addresses] == ["192.0.2.10"]
        service = db.session.scalars(select(ServerService)).one()
        assert (service.type, service.db_user, service.db_password) == (
            "mysql",
            "admin",
            "s3cret-password",
        )
        assert contexts.name_of(server) == "@server_db1examplecom"
        task = db.session.scalars(select(Task)).one()
        assert (task.type, task.status) == ("verify", TaskStatus.QUEUED)


def test_server_add_refuses_a_bad_hostname_and_writes_nothing(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["server", "add", "bad host;rm -rf"])
    assert result.exit_code != 0
    assert "not a valid host name" in result.output
    with app.app_context():
        assert db.session.scalar(select(Server)) is None
        assert db.session.scalar(select(Task)) is None


def test_server_add_sets_an_nginx_servers_php_fpm_socket_and_refuses_it_for_apache(
    app: Flask, runner: Any
) -> None:
    refused = runner.invoke(args=["server", "add", "web3.example.com", "--http", "apache",
                                  "--php-fpm-socket", "/run/php/web3.sock"])
    assert refused.exit_code != 0 and "Apache runs PHP itself" in refused.output
    added = runner.invoke(args=["server", "add", "web4.example.com", "--http", "nginx",
                                "--php-fpm-socket", "/run/php/web4.sock"])
    assert added.exit_code == 0, added.output
    with app.app_context():
        server = db.session.scalars(select(Server)).one()
        assert contexts.server_properties(server)["php_fpm_socket"] == "/run/php/web4.sock"


def test_task_list_shows_the_newest_tasks(app: Flask, runner: Any) -> None:
    with app.app_context():
        null_server("one.example.com")
    result = runner.invoke(args=["task", "list"])
    assert result.exit_code == 0
    assert "queued" in result.output and "verify" in result.output
    assert "one.example.com" in result.output


def test_bootstrap_creates_the_admin_once_and_registers_the_master(
    app: Flask, runner: Any, mariadb_admin: Any
) -> None:
    admin_name = "hm_boot_" + secrets.token_hex(4)
    env = {"HOSTMASTER_DB_ADMIN": admin_name}
    try:
        first = runner.invoke(args=["bootstrap"], env=env)
        assert first.exit_code == 0, first.output
        assert "password '" in first.output and "shown once" in first.output
        with app.app_context():  # the first verify ran (here: cancelled) before a restart
            from hostmaster.services import tasks

            tasks.cancel(db.session.scalars(select(Task)).one())
        second = runner.invoke(args=["bootstrap"], env=env)
        assert second.exit_code == 0 and "password" not in second.output
        assert "verify is queued again" in second.output
        with app.app_context():
            master = contexts.master_server()
            assert master is not None
            assert master.service_type("db") == "mysql"
            assert master.service_type("http") in ("apache", "nginx")
            service = master.service("db")
            assert service is not None
            # the admin account it made works over TCP with the stored password
            pymysql.connect(
                host="127.0.0.1", user=service.db_user, password=service.db_password
            ).close()
            queued = db.session.scalars(select(Task).where(Task.status == TaskStatus.QUEUED))
            assert [task.type for task in queued] == ["verify"]  # the restart verifies again
    finally:
        connection = mariadb_admin.connect()
        with connection.cursor() as cursor:
            for host in ("localhost", "127.0.0.1"):
                cursor.execute("DROP USER IF EXISTS %s@%s", (admin_name, host))
        connection.close()


def test_the_cron_entry_point_fails_loudly_when_the_store_is_unreachable(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HOSTMASTER_SECRET_KEY": "x",
        "HOSTMASTER_SECRET_KEY_FILE": str(tmp_path / "secrets.key"),
        "AEGIR_ROOT": str(tmp_path),
        "HOSTMASTER_DATABASE_URL": "mysql+pymysql://nobody:x@127.0.0.1:1/none",
    }
    result = subprocess.run(
        [sys.executable, str(project_root() / "dispatch.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Can't connect" in result.stderr or "OperationalError" in result.stderr
