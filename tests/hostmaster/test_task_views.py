"""The task pages: Run, Cancel and Run again buttons, the task list, a task's page and its
live log (log.json)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import Server, Task, TaskStatus, utcnow
from hostmaster.services import task_queries, tasks
from hostmaster.services.servers import create_server
from tests.fixtures.app import AuthActions
from tests.hostmaster.helpers import LOCAL
from tests.hostmaster.pages import part, rows, text
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


@pytest.fixture
def server_id(app: Flask) -> int:
    """A server with no services on this machine; its verify task is queued (task 1 of the
    test)."""
    with app.app_context():
        return create_server("web1.example.com", human_name="Web one", ip_addresses=LOCAL).id


def _finish(app: Flask, task_id: int, status: TaskStatus = TaskStatus.SUCCESS) -> None:
    """End a task the way the dispatcher would (the test plays the dispatcher's part)."""
    with app.app_context():
        task = db.session.get_one(Task, task_id)
        task.status, task.started_at, task.finished_at = status, utcnow(), utcnow()
        db.session.commit()


def _verify_id(app: Flask) -> int:
    """The first task of the test: the verify queued when the server was added."""
    with app.app_context():
        return db.session.scalars(select(Task.id).order_by(Task.id)).first() or 0


def test_the_run_button_queues_a_task_and_opens_its_page(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    _finish(app, _verify_id(app))
    server_page = client.get(f"/servers/{server_id}").get_data(as_text=True)
    assert f'action="/tasks/run/server/{server_id}/verify"' in server_page
    response = logged_in.submit(
        f"/servers/{server_id}", {}, post_path=f"/tasks/run/server/{server_id}/verify"
    )
    with app.app_context():
        newest = db.session.scalars(select(Task).order_by(Task.id.desc())).first()
        assert newest is not None and newest.status == TaskStatus.QUEUED
        assert newest.user is not None and newest.user.username == "admin"
    assert response.location == f"/tasks/{newest.id}"
    assert "Verify of Web one is queued." in text(client.get(response.location).get_data(True))


def test_a_task_that_cannot_run_now_is_refused_with_the_reason_and_nothing_queued(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    response = logged_in.submit(
        f"/servers/{server_id}", {}, post_path=f"/tasks/run/server/{server_id}/verify"
    )
    assert response.location == f"/servers/{server_id}"
    page = text(client.get(response.location).get_data(as_text=True))
    assert "A verify task is already queued or running on Web one." in page
    assert rows(app, Task) == (1,)


@pytest.mark.parametrize(
    "path",
    [
        "/tasks/run/client/{id}/verify",
        "/tasks/run/server/4242/verify",
        "/tasks/run/server/{id}/explode",
        "/tasks/run/server/{id}/noop",
    ],
    ids=["unknown-kind", "unknown-server", "unknown-type", "hidden-type"],
)
def test_running_a_task_on_something_unknown_is_not_found(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int, path: str
) -> None:
    _finish(app, _verify_id(app))
    response = logged_in.submit("/tasks", {}, post_path=path.format(id=server_id))
    assert response.status_code == 404
    assert rows(app, Task) == (1,)


def test_cancelling_a_queued_task_ends_it_as_a_warning_with_a_log_line(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    task_id = _verify_id(app)
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'action="/tasks/{task_id}/cancel"' in page and "Run again" not in page
    response = logged_in.submit(f"/tasks/{task_id}", {}, post_path=f"/tasks/{task_id}/cancel")
    assert response.location == f"/tasks/{task_id}"
    page = client.get(response.location).get_data(as_text=True)
    assert f"Task {task_id} is cancelled." in text(page)
    assert 'class="badge status-warning" id="task-status"' in page
    log = part(page, "task-log", "</ol>")
    assert 'class="log-line level-warning"' in log and "Task was cancelled." in text(log)
    assert f'action="/tasks/{task_id}/retry"' in page and "/cancel" not in page
    with app.app_context():
        assert db.session.get_one(Task, task_id).status == TaskStatus.WARNING


def test_a_finished_task_cannot_be_cancelled(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    task_id = _verify_id(app)
    token = logged_in.csrf_token(f"/tasks/{task_id}")
    _finish(app, task_id)
    response = client.post(f"/tasks/{task_id}/cancel", data={"csrf_token": token})
    page = text(client.get(response.location).get_data(as_text=True))
    assert "Only a queued task can be cancelled." in page
    with app.app_context():
        assert db.session.get_one(Task, task_id).status == TaskStatus.SUCCESS


def test_run_again_queues_a_finished_task_as_a_new_task(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    task_id = _verify_id(app)
    _finish(app, task_id, TaskStatus.ERROR)
    response = logged_in.submit(f"/tasks/{task_id}", {}, post_path=f"/tasks/{task_id}/retry")
    with app.app_context():
        again = db.session.scalars(select(Task).where(Task.id != task_id)).one()
        assert (again.type, again.status) == ("verify", TaskStatus.QUEUED)
    assert response.location == f"/tasks/{again.id}"
    page = text(client.get(response.location).get_data(as_text=True))
    assert f"Verify is queued again as task {again.id}." in page


def test_a_task_still_running_cannot_be_run_again(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    task_id = _verify_id(app)
    token = logged_in.csrf_token(f"/tasks/{task_id}")
    response = client.post(f"/tasks/{task_id}/retry", data={"csrf_token": token})
    page = text(client.get(response.location).get_data(as_text=True))
    assert "A task can be run again only once it has finished." in page
    assert rows(app, Task) == (1,)


def test_the_task_page_shows_what_who_when_its_arguments_and_its_log(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    with app.app_context():
        server = db.session.get_one(Server, server_id)
        task = tasks.queue(server, "noop", {"seconds": 2})
        # An argument named like a secret, as a plugin's task might take one.
        task.arguments = {**task.arguments, "db_password": "hunter2hunter2"}
        task.status, task.started_at = TaskStatus.PROCESSING, utcnow()
        tasks.add_log(task, "info", "Saving context @server_web1examplecom")
        tasks.add_log(task, "warning", "The load is high")
        tasks.add_log(task, "error", "<b>Disk</b> is full")
        db.session.commit()
        task_id = task.id
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    seen = text(page)
    assert "No-op: Web one" in seen
    assert 'class="badge status-processing" id="task-status"' in page
    assert f'href="/servers/{server_id}"' in part(page, "content", "</dl>")
    assert "Asked by Hostmaster" in seen  # queued by the system, not by a person
    assert "seconds 2" in seen
    assert "db_password (hidden)" in seen and "hunter2hunter2" not in page
    log = part(page, "task-log", "</ol>")
    assert [level for level in ("info", "warning", "error") if f"level-{level}" in log] == [
        "info", "warning", "error"
    ]
    assert "&lt;b&gt;Disk&lt;/b&gt; is full" in log  # log text is shown, never run as HTML
    assert "/static/js/task-log.js" in page  # the log follows the running task


def test_a_finished_task_page_has_no_live_log_script(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    task_id = _verify_id(app)
    _finish(app, task_id)
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "task-log.js" not in page
    assert 'data-finished="true"' in page
    script = client.get("/static/js/task-log.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    script.close()


def test_log_json_returns_the_lines_after_the_last_one_seen_and_the_status(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    task_id = _verify_id(app)
    with app.app_context():
        task = db.session.get_one(Task, task_id)
        task.status = TaskStatus.PROCESSING
        first = tasks.add_log(task, "info", "Checking the server")
        tasks.add_log(task, "ok", "Server verified")
        db.session.commit()
        first_id = first.id
    data = client.get(f"/tasks/{task_id}/log.json?after={first_id}").get_json()
    assert data["status"] == "processing" and data["finished"] is False
    assert [(line["level"], line["message"]) for line in data["lines"]] == [
        ("ok", "Server verified")
    ]
    assert data["lines"][0]["id"] > first_id and data["lines"][0]["time"].endswith("Z")
    _finish(app, task_id)
    data = client.get(f"/tasks/{task_id}/log.json").get_json()
    assert data["status"] == "success" and data["finished"] is True
    assert len(data["lines"]) == 2


def test_the_task_list_filters_by_status_and_entity_and_pages_newest_first(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    app.config["PAGE_SIZE"] = 2
    with app.app_context():
        other = create_server("web2.example.com")
        server = db.session.get_one(Server, server_id)
        noops = [tasks.queue(server, "noop").id for _ in range(3)]
        other_id = other.id
    _finish(app, noops[0], TaskStatus.ERROR)

    first = client.get("/tasks").get_data(as_text=True)
    assert _listed(first) == [noops[2], noops[1]] and "Page 1 of 3" in text(first)
    second = client.get("/tasks?page=2").get_data(as_text=True)
    assert _listed(second) == [noops[0], _task_of(app, other_id)]
    errors = client.get("/tasks?status=error").get_data(as_text=True)
    assert _listed(errors) == [noops[0]] and "status-error" in errors
    of_other = client.get(f"/tasks?kind=server&entity={other_id}").get_data(as_text=True)
    assert "Tasks of web2.example.com" in text(of_other)
    assert _listed(of_other) == [_task_of(app, other_id)]


@pytest.mark.parametrize(
    "path", ["/tasks/4242", "/tasks/4242/log.json", "/tasks?kind=client&entity=1"]
)
def test_an_unknown_task_or_kind_is_not_found(
    client: FlaskClient, logged_in: AuthActions, path: str
) -> None:
    assert client.get(path).status_code == 404


def _listed(markup: str) -> list[int]:
    """Task ids in the order the task list's table shows them."""
    table = part(markup, "content", "</table>")
    return [int(i) for i in re.findall(r'<tr[^>]*>\s*<td><a href="/tasks/(\d+)">', table)]


def _task_of(app: Flask, server_id: int) -> int:
    """The one task of a server (its verify)."""
    with app.app_context():
        return db.session.scalars(select(Task.id).where(Task.entity_id == server_id)).one()


def test_after_a_real_dispatch_pass_the_task_page_shows_provisions_log_and_the_result(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    assert dispatch_once(app) == 0  # runs provision for the queued verify
    task_id = _verify_id(app)
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'class="badge status-success" id="task-status"' in page
    assert "log-line level-" in part(page, "task-log", "</ol>")
    assert "task-log.js" not in page and "Run again" in page
    data = client.get(f"/tasks/{task_id}/log.json").get_json()
    assert data["finished"] is True and data["status"] == "success" and data["lines"]
    servers_page = client.get("/servers").get_data(as_text=True)
    assert "Enabled" in text(part(servers_page, "content", "</table>"))  # the result applied


def test_entity_titles_are_read_in_one_query_as_each_entity_names_itself(app: Flask) -> None:
    with app.app_context():
        master = master_server()  # titled "Master"
        unnamed = create_server("db9.example.com", human_name="")
        platform = ready_platform(master, "d7")
        site = enabled_site(platform, master, "shop.example.com")
        db.session.commit()
        wanted = [Task(type="verify", entity_kind=kind, entity_id=entity_id)
                  for kind, entity_id in (("server", master.id), ("server", unnamed.id),
                                          ("platform", platform.id), ("site", site.id),
                                          ("site", 9999), ("client", 1))]
        expected = {("server", master.id): "Master", ("server", unnamed.id): "db9.example.com",
                    ("platform", platform.id): "d7", ("site", site.id): "shop.example.com"}
        assert {(kind, entity_id): entity.title for (kind, entity_id), entity in (
            (("server", master.id), master), (("server", unnamed.id), unnamed),
            (("platform", platform.id), platform), (("site", site.id), site))} == expected
        db.session.expire_all()
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        assert task_queries.entity_titles(wanted) == expected
        assert len(statements) == 1
        assert task_queries.entity_titles([]) == {}
