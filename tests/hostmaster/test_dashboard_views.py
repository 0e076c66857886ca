"""The dashboard and the sidebar's Queues block that every page shows."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import ServerStatus, Task, TaskStatus, utcnow
from hostmaster.services import tasks
from hostmaster.services.platforms import create_platform
from hostmaster.services.servers import ServiceSpec, create_server
from tests.fixtures.app import AuthActions
from tests.hostmaster.helpers import platform_path
from tests.hostmaster.pages import part, text


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


def _tasks_in_every_status(app: Flask) -> list[int]:
    """Seven tasks, oldest first: verify (success), then no-ops ending in each status."""
    with app.app_context():
        server = create_server("web1.example.com", human_name="Web one")
        verify = db.session.scalars(select(Task)).one()
        verify.status, verify.finished_at = TaskStatus.SUCCESS, utcnow()
        server.status = ServerStatus.ENABLED
        db.session.commit()
        ids = [verify.id]
        for status in (TaskStatus.ERROR, TaskStatus.WARNING, TaskStatus.SUCCESS,
                       TaskStatus.PROCESSING, TaskStatus.QUEUED, TaskStatus.QUEUED):
            task = tasks.queue(server, "noop")
            task.status = status  # the dispatcher's part, played by the test
            db.session.commit()
            ids.append(task.id)
        return ids


def test_the_dashboard_counts_servers_platforms_sites_and_tasks_by_status(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    _tasks_in_every_status(app)
    with app.app_context():
        web = create_server("web2.example.com", services={"http": ServiceSpec("apache")})
        create_platform("drupal7", platform_path("drupal7"), web)
    main = part(client.get("/").get_data(as_text=True), "content", "</main>")
    seen = text(main)
    assert "Servers 2 in all Enabled 1 Queued 1" in seen
    assert "Platforms 1 in all Queued 1" in seen
    assert "Sites 0 in all None yet." in seen
    assert "Tasks 9 in all Processing 1 Queued 4 Success 2 Error 1 Warning 1" in seen


def test_the_queues_block_shows_the_five_newest_tasks_coloured_by_status(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    ids = _tasks_in_every_status(app)
    queues = part(client.get("/servers").get_data(as_text=True), "queues", "</section>")
    items = _queue_items(queues)
    # newest first; the verify and the failed no-op are older than the five shown
    assert [(task_id, status) for task_id, status, _ in items] == [
        (ids[6], "queued"),
        (ids[5], "queued"),
        (ids[4], "processing"),
        (ids[3], "success"),
        (ids[2], "warning"),
    ]
    spinners = [task_id for task_id, _, inner in items if 'class="spinner"' in inner]
    assert spinners == [ids[4]]  # only the running task turns
    assert all(text(inner).startswith("No-op Web one") for _, _, inner in items)
    assert 'href="/tasks"' in queues and "All tasks" in text(queues)


def test_the_queues_block_summary_counts_tasks_by_status_with_links(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    _tasks_in_every_status(app)
    queues = part(client.get("/sites").get_data(as_text=True), "queues", "</section>")
    summary = text(queues.split("Summary")[1])
    assert summary == "Processing 1 Queued 2 Success 2 Error 1 Warning 1"
    assert 'href="/tasks?status=error"' in queues


def test_the_queues_block_says_when_there_are_no_tasks(
    client: FlaskClient, logged_in: AuthActions
) -> None:
    assert "No tasks yet." in text(client.get("/").get_data(as_text=True))


def _queue_items(markup: str) -> list[tuple[int, str, str]]:
    """(task id, status, inner markup) of each entry of the Queues block, top to bottom."""
    found = re.findall(
        r'<li class="queue-item status-(\w+)"[^>]*>\s*<a href="/tasks/(\d+)">(.*?)</li>', markup,
        re.S,
    )
    return [(int(task_id), status, inner) for status, task_id, inner in found]
