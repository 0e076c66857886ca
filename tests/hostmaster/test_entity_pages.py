"""Entity and task pages as an administrator sees them: the last run of each task, Run
buttons that open a task's form in a dialog (and still work as links), the jump to a failed
task's first error, and no asset loaded from anywhere but the app itself."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Site, Task, TaskStatus, User, utcnow
from hostmaster.services import tasks
from tests.fixtures.app import AuthActions
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform

#: Tags that make a browser fetch something: scripts, styles, icons, images, frames.
_ASSET = re.compile(r"<(script|link|img|iframe|source)\b[^>]*?\b(src|href)=\"([^\"]*)\"", re.I)


@dataclass
class World:
    """An enabled site on a platform on the master server, each with its task ids."""

    server: int
    platform: int
    site: int
    verify: int


@pytest.fixture
def world(app: Flask, admin: User, auth: AuthActions) -> World:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        site = enabled_site(platform, server, "shop.example.com")
        verify = tasks.queue(site, "verify")
        tasks.add_log(verify, "info", "Checking the site.")
        tasks.add_log(verify, "error", "The settings file is not writable.")
        tasks.add_log(verify, "error", "A second error.")
        verify.status, verify.finished_at = TaskStatus.ERROR, utcnow()
        db.session.commit()
        found = World(server.id, platform.id, site.id, verify.id)
    auth.login()
    return found


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_every_asset_of_the_main_pages_comes_from_the_app(
    client: FlaskClient, world: World
) -> None:
    paths = ["/", "/sites", "/platforms", "/servers", "/tasks", f"/sites/{world.site}",
             f"/platforms/{world.platform}", f"/servers/{world.server}",
             f"/tasks/{world.verify}", f"/tasks/confirm/site/{world.site}/backup"]
    assets = set()
    for path in paths:
        for tag, _attribute, url in _ASSET.findall(_page(client, path)):
            assert url.startswith("/") and not url.startswith("//"), f"{tag} {url} on {path}"
            assets.add(url)
    assert "/static/css/hostmaster.css" in assets and "/static/js/task-log.js" in assets
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_the_site_page_shows_each_tasks_last_run_and_the_way_to_the_site(
    client: FlaskClient, world: World
) -> None:
    page = _page(client, f"/sites/{world.site}")
    assert "Go to shop.example.com" in page or "Log in to shop.example.com" in page
    verify_row = page[page.index('<span class="task-name">Verify</span>'):]
    verify_row = verify_row[:verify_row.index("</tr>")]
    assert f'href="/tasks/{world.verify}"' in verify_row
    assert 'data-status="error"' in verify_row and "<time datetime=" in verify_row
    for heading in ("Backups", "Task history", "Aliases", "Packages"):
        assert heading in page
    assert "/static/js/task-dialog.js" in page


def _task_row(page: str, title: str) -> str:
    """The row of the page's Tasks table for the task type titled ``title``."""
    row = page[page.index(f'<span class="task-name">{title}</span>'):]
    return row[:row.index("</tr>")]


def test_each_task_row_links_its_newest_task_and_a_queued_type_says_it_waits(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        site = db.session.get(Site, world.site)
        assert site is not None
        backups = []
        for _ in range(2):
            backup = tasks.queue(site, "backup")
            backup.status, backup.finished_at = TaskStatus.SUCCESS, utcnow()
            db.session.commit()
            backups.append(backup.id)
        queued = tasks.queue(site, "verify").id
    page = _page(client, f"/sites/{world.site}")
    verify_row, backup_row = _task_row(page, "Verify"), _task_row(page, "Backup")
    assert f'href="/tasks/{queued}"' in verify_row
    assert "A verify task is already queued or running on shop.example.com." in verify_row
    assert f'href="/tasks/{backups[1]}"' in backup_row
    assert f'href="/tasks/{backups[0]}"' not in backup_row
    assert 'class="unavailable"' not in backup_row


def test_run_opens_the_tasks_form_in_a_dialog_and_the_form_still_posts(
    app: Flask, client: FlaskClient, world: World
) -> None:
    confirm = f"/tasks/confirm/site/{world.site}/backup"
    page = _page(client, f"/sites/{world.site}")
    assert f'href="{confirm}" data-dialog-url="{confirm}?fragment=1"' in page

    fragment = _page(client, f"{confirm}?fragment=1")
    assert "<html" not in fragment and "<h2 id=\"confirm-title\">" in fragment
    assert f'action="{confirm}"' in fragment and 'class="cancel-link"' in fragment
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', fragment)
    assert token

    refused = client.post(confirm, data={"description": "No token"})
    assert refused.status_code == 400
    queued = client.post(confirm, data={"csrf_token": token.group(1),
                                        "description": "From the dialog"})
    assert queued.status_code == 302 and "/tasks/" in queued.headers["Location"]
    with app.app_context():
        site = db.session.get_one(Site, world.site)
        assert tasks.pending_task(site, "backup") is not None


def test_a_failed_task_page_jumps_to_its_first_error(client: FlaskClient, world: World) -> None:
    page = _page(client, f"/tasks/{world.verify}")
    assert '<p class="jump-to-error" id="jump-to-error">' in page  # shown, not hidden
    assert '<a href="#first-error">Jump to the first error</a>' in page
    assert page.count('id="first-error"') == 1
    first = page[page.index('id="first-error"'):]
    assert first.index("The settings file is not writable.") < first.index("A second error.")
    assert "/static/js/task-log.js" in page


def test_a_successful_task_page_has_no_jump_link_and_no_script(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        task = db.session.scalars(select(Task).where(Task.entity_id == world.server,
                                                     Task.entity_kind == "server")).first()
        assert task is not None
        task.status, task.finished_at = TaskStatus.SUCCESS, utcnow()
        db.session.commit()
        task_id = task.id
    page = _page(client, f"/tasks/{task_id}")
    assert '<p class="jump-to-error" id="jump-to-error" hidden>' in page
    assert 'data-status="success"' in page
    assert "task-log.js" not in page


def test_a_refused_task_form_comes_back_with_its_errors_beside_the_fields(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    confirm = f"/tasks/confirm/site/{world.site}/migrate"
    token = auth.csrf_token(confirm)
    sent = {"csrf_token": token, "target_db_server": "4242"}
    page = client.post(confirm, data=sent).get_data(as_text=True)
    assert "Choose the platform the site moves to." in page
    assert "Choose one of the database servers offered." in page
    field = re.search(r"<select[^>]*>", page)
    assert field
    tag = field.group(0)
    name = re.search(r' id="([^"]+)"', tag)
    assert name and 'aria-invalid="true"' in tag
    assert f'aria-describedby="{name.group(1)}-error"' in tag
    assert f'<ul class="field-errors" id="{name.group(1)}-error">' in page
    # The platform choice is a group: a fieldset named by its legend, described by its error.
    group = re.search(r'<fieldset class="field choice-group has-error" id="field-target_platform"'
                      r' aria-describedby="target_platform-error">\s*<legend>Platform</legend>',
                      page)
    assert group
