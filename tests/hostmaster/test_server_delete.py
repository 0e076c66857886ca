"""Deleting a server: refused, with a sentence naming what uses it, while a platform or site
does and for the master; otherwise provision removes its configuration and context, and the
record is marked deleted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import ContextName, Server, ServerStatus, Task, TaskStatus, User
from hostmaster.services import api_tokens, contexts, tasks
from hostmaster.services.platforms import create_platform
from hostmaster.services.servers import ServiceSpec, create_server
from tests.fixtures.app import AuthActions, one_store
from tests.fixtures.stack_web import WebServerInstance
from tests.hostmaster.helpers import log_text, null_server, platform_path, web_server
from tests.hostmaster.pages import rows, text

USED = ("web1.example.com cannot be deleted while the platform drupal7 is on it as web server; "
        "delete them or migrate them to another server first.")


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


def tree(root: Path) -> list[str]:
    """Every file and folder under ``root``, relative to it."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def test_a_server_with_a_platform_refuses_deletion_with_the_reason_and_queues_nothing(
    app: Flask, client: FlaskClient, logged_in: AuthActions, runner: Any
) -> None:
    with app.app_context():
        server = create_server("web1.example.com", services={"http": ServiceSpec("apache")})
        create_platform("drupal7", platform_path("drupal7"), server)
        master = null_server("master.example.com", master=True)
        server_id, master_id = server.id, master.id
        user = db.session.scalars(select(User).where(User.username == "admin")).one()
        token = api_tokens.create(user, "tests")[1]
    before = rows(app, Server, ContextName, Task)
    page = client.get(f"/servers/{server_id}").get_data(as_text=True)
    assert USED in text(page)  # beside the Delete task's disabled button
    dialog = client.get(f"/tasks/confirm/server/{server_id}/delete").get_data(as_text=True)
    assert USED in text(dialog)
    logged_in.submit(f"/tasks/confirm/server/{server_id}/delete", {})
    refused = runner.invoke(args=["server", "delete", "web1.example.com"])
    assert refused.exit_code != 0 and USED in " ".join(refused.output.split())
    answer = client.post(f"/api/v1/servers/{server_id}/tasks", json={"type": "delete"},
                         headers={"Authorization": f"Bearer {token}"})
    assert (answer.status_code, answer.json["error"]) == (409, USED)
    master_refused = runner.invoke(args=["server", "delete", "master.example.com"])
    assert "master.example.com is the master server: the panel and provision run on it" in (
        master_refused.output)
    assert rows(app, Server, ContextName, Task) == before
    with app.app_context():
        assert db.session.scalars(select(Task).where(Task.type == "delete")).all() == []
        assert {s.id: s.status for s in db.session.scalars(select(Server))} == {
            server_id: ServerStatus.QUEUED, master_id: ServerStatus.QUEUED}


@one_store
def test_an_unused_server_is_deleted_by_provision_and_leaves_no_file_under_the_aegir_root(
    app: Flask, client: FlaskClient, logged_in: AuthActions, apache_instance: WebServerInstance,
    aegir_root: Path,
) -> None:
    with app.app_context():
        null_server("master.example.com", master=True)
        assert dispatch_once(app) == 0
        before = tree(aegir_root)
        server = web_server(apache_instance, hostname="web2.example.com")
        server_id = server.id
        assert dispatch_once(app) == 0
    include = apache_instance.include_dir / "aegir-server_web2examplecom.conf"
    written = set(tree(aegir_root)) - set(before)
    assert include.is_file() and "config/server_web2examplecom/apache/vhost.d" in written
    assert "contexts/server_web2examplecom.json" in written

    confirm = f"/tasks/confirm/server/{server_id}/delete"
    assert f'href="{confirm}"' in client.get(f"/servers/{server_id}").get_data(as_text=True)
    response = logged_in.submit(confirm, {})
    assert response.status_code == 302 and "/tasks/" in response.location
    with app.app_context():
        assert dispatch_once(app) == 0
        task = db.session.scalars(select(Task).where(Task.type == "delete")).one()
        assert task.status == TaskStatus.SUCCESS, log_text(task.id)
        server = db.session.get_one(Server, server_id)
        assert server.status == ServerStatus.DELETED and server.services == []
        assert server.hostname == f"web2.example.com~deleted-{server_id}"
        assert contexts.name_or_none(server) is None
    assert tree(aegir_root) == before
    assert not include.exists()
    markup = client.get("/servers").get_data(as_text=True)
    listed = text(markup[markup.index("<tbody>"):markup.index("</tbody>")])
    assert "web2.example.com" not in listed and "master.example.com" in listed


def test_a_server_whose_delete_is_queued_can_no_longer_be_edited(
    app: Flask, runner: Any
) -> None:
    with app.app_context():
        server = create_server("web3.example.com", services={"http": ServiceSpec("apache")})
        tasks.queue(server, "delete")
    before = rows(app, Server, Task)
    refused = runner.invoke(args=["server", "edit", "web3.example.com", "--http-port", "8080"])
    assert refused.exit_code != 0
    assert "web3.example.com is being deleted; it can no longer change." in refused.output
    assert rows(app, Server, Task) == before
    with app.app_context():
        service = db.session.scalars(select(Server)).one().service("http")
        assert service is not None and service.port is None
