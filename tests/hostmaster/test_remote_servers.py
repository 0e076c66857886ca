"""A remote server added in the panel: verified over SSH by the real dispatcher on a remote test
host (a network namespace with its own sshd and Apache); when its sshd is down its verify fails
in seconds naming the host and the reason, while other tasks run; deleted, it leaves no file on
its host or the master."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import Server, ServerStatus, Task, TaskStatus
from hostmaster.services import tasks
from provision.layout import ROOT_FOLDERS
from tests.fixtures.app import AuthActions, one_store
from tests.fixtures.remote_hosts import RemoteHost, RemoteNetwork
from tests.fixtures.stack_process import poll
from tests.hostmaster.helpers import log_text, null_server, queue_noop
from tests.hostmaster.pages import field_error, text


@pytest.fixture
def host(remote_network: RemoteNetwork, aegir_root: Path) -> Iterator[RemoteHost]:
    with remote_network.host(21, aegir_root) as made:
        yield made


def remote_form(host: RemoteHost) -> dict[str, str]:
    return {
        "hostname": host.hostname,
        "ip_addresses": host.address,
        "http_type": "apache",
        "http_port": "80",
        "http_restart_cmd": "apache2ctl graceful",
        "http_configtest_cmd": "apache2ctl configtest",
        "http_include_dir": host.include_dir,
        "db_type": "null",
        "ssh_user": "root",
        "ssh_port": "22",
        "ssh_key_file": str(host.key_file),
    }


def add_remote_server(app: Flask, auth: AuthActions, host: RemoteHost) -> int:
    auth.login()
    response = auth.submit("/servers/add", remote_form(host))
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "ssh_user")
    with app.app_context():
        server = db.session.scalars(select(Server).where(Server.hostname == host.hostname)).one()
        assert (server.ssh_user, server.ssh_port, server.ssh_key_file) == (
            "root", 22, str(host.key_file))
        return server.id


@one_store
def test_a_remote_server_added_in_the_panel_is_verified_over_ssh_on_its_host(
        app: Flask, client: FlaskClient, auth: AuthActions, host: RemoteHost) -> None:
    server_id = add_remote_server(app, auth, host)
    assert dispatch_once(app) == 0
    with app.app_context():
        server = db.session.get(Server, server_id)
        task = db.session.scalars(select(Task).where(Task.entity_id == server_id)).one()
        log = log_text(task.id)
        assert task.status == TaskStatus.SUCCESS, log
        assert server is not None and server.status == ServerStatus.ENABLED
    assert f"Reloaded apache on {host.hostname} (root@{host.address}:22) over SSH" in log
    include = f"{host.include_dir}/aegir-server_{host.hostname.replace('.', '')}.conf"
    assert host.run(f"cat {include}").stdout.strip(), "the include was written on the host"
    assert not Path(include).exists(), "nothing was written into the master's Apache"
    assert host.get("/", "unknown.test")[0] == 404
    page = client.get(f"/servers/{server_id}").get_data(as_text=True)
    assert f"root@{host.address}:22" in text(page)


@one_store
def test_an_unreachable_server_fails_its_verify_quickly_and_other_tasks_still_run(
        app: Flask, auth: AuthActions, host: RemoteHost) -> None:
    server_id = add_remote_server(app, auth, host)
    host.stop_sshd()
    try:
        with app.app_context():
            other = null_server("other.example.com")
            noop = queue_noop(other)
            noop_id = noop.id
        started = time.monotonic()
        dispatch_once(app)  # the remote verify and the other server's verify
        dispatch_once(app)  # the other server's no-op
        took = time.monotonic() - started
    finally:
        host.start_sshd()
    with app.app_context():
        verify = db.session.scalars(select(Task).where(
            Task.entity_kind == "server", Task.entity_id == server_id)).one()
        log = log_text(verify.id)
        assert verify.status == TaskStatus.ERROR, log
        finished = db.session.get(Task, noop_id)
        assert finished is not None and finished.status == TaskStatus.SUCCESS
        assert verify.duration is not None and verify.duration < 30
        server = db.session.get(Server, server_id)
        assert server is not None and server.status != ServerStatus.ENABLED
    assert f"Could not reach {host.hostname} ({host.address}:22) over SSH" in log
    assert "connection refused" in log
    assert took < 30

    # With sshd back, the same verify, queued again, succeeds.
    with app.app_context():
        server = db.session.get(Server, server_id)
        assert server is not None
        tasks.queue(server, "verify")
    dispatch_once(app)
    with app.app_context():
        latest = db.session.scalars(select(Task).where(
            Task.entity_kind == "server", Task.entity_id == server_id).order_by(
            Task.id.desc())).first()
        assert latest is not None and latest.status == TaskStatus.SUCCESS, log_text(latest.id)


@one_store
def test_bad_ssh_settings_are_refused_beside_their_fields(
        app: Flask, auth: AuthActions, host: RemoteHost) -> None:
    auth.login()
    bad = {**remote_form(host), "ssh_user": "Root Admin", "ssh_key_file": "keys/id"}
    page = auth.submit("/servers/add", bad).get_data(as_text=True)
    assert "may use only letters, digits" in field_error(page, "ssh_user")
    assert "not an absolute path" in field_error(page, "ssh_key_file")
    with app.app_context():
        assert db.session.scalars(select(Server)).first() is None


@one_store
def test_a_remote_server_is_deleted_over_ssh_and_leaves_no_file_on_its_host_or_the_master(
        app: Flask, client: FlaskClient, auth: AuthActions, host: RemoteHost,
        aegir_root: Path) -> None:
    server_id = add_remote_server(app, auth, host)
    assert dispatch_once(app) == 0
    name = f"server_{host.hostname.replace('.', '')}"
    include = f"{host.include_dir}/aegir-{name}.conf"
    assert host.run(f"cat {include}").stdout.strip()
    assert f"config/{name}/apache.conf" in tree(host.own_root)
    assert f"contexts/{name}.json" in tree(aegir_root)
    with app.app_context():
        tasks.queue(db.session.get_one(Server, server_id), "delete")
        assert dispatch_once(app) == 0
        task = db.session.scalars(select(Task).where(Task.type == "delete")).one()
        assert task.status == TaskStatus.SUCCESS, log_text(task.id)
    # Only the aegir root's own folders stay on the host (verify made them), no file.
    assert tree(host.own_root) == sorted(ROOT_FOLDERS)
    assert [path for path in tree(aegir_root) if name in path] == []
    assert host.run(f"test -e {include}", check=False).returncode == 1
    # The host's Apache was reloaded without the server's default vhost (which answers 404); a
    # graceful reload reaches every worker a moment later.
    assert poll(lambda: host.get("/", "unknown.test")[0] != 404, 15)


def tree(root: Path) -> list[str]:
    """Every file and folder under ``root``, relative to it."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))
