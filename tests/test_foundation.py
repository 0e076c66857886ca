"""The foundation end to end: the web UI queues, the dispatcher runs provision, real Apache,
nginx and codebases change, and the UI shows the result. Each test runs on SQLite and MariaDB."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import Platform, PlatformStatus, Server, ServerStatus, Task, TaskStatus
from tests.fixtures.app import AuthActions, one_store
from tests.fixtures.platforms import (
    DRUPAL7_CONTRIB,
    DRUPAL10_CONTRIB,
    debian_wordpress_version,
    make_drupal7_platform,
    make_drupal10_composer_platform,
    make_wordpress_platform,
)
from tests.hostmaster.helpers import log_text, web_server

# These test provision and the real stack through the app, not the store (see conftest).
pytestmark = one_store

CATCH_ALL = "No site is configured for this address"


def _server_form(instance: Any, kind: str) -> dict[str, Any]:
    return {
        "hostname": "web1.example.com",
        "human_name": "Web one",
        "ip_addresses": "127.0.0.1",
        "http_type": kind,
        "http_port": str(instance.port),
        "http_restart_cmd": instance.restart_cmd,
        "http_configtest_cmd": instance.configtest_cmd,
        "http_include_dir": str(instance.include_dir),
        "db_type": "null",
    }


@pytest.mark.parametrize("kind", ["apache", "nginx"])
def test_a_server_added_in_the_ui_is_verified_on_the_real_web_server(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    aegir_root: Path,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    instance = request.getfixturevalue(f"{kind}_instance")
    auth.login()
    response = auth.submit("/servers/add", _server_form(instance, kind))
    assert response.status_code == 302
    with app.app_context():
        server = db.session.scalars(select(Server)).one()
        task = db.session.scalars(select(Task)).one()
        assert (task.type, task.status) == ("verify", TaskStatus.QUEUED)
    assert CATCH_ALL not in instance.get(host="nobody.example.com")[1]

    with instance.expect_reload(), app.app_context():
        assert dispatch_once(app) == 0

    with app.app_context():
        task = db.session.get(Task, task.id)
        assert task is not None and task.status == TaskStatus.SUCCESS, log_text(task.id)
        server = db.session.get(Server, server.id)
        assert server is not None and server.status == ServerStatus.ENABLED
    include = Path(instance.include_dir) / "aegir-server_web1examplecom.conf"
    assert include.exists()
    assert str(aegir_root / "config" / "server_web1examplecom") in include.read_text()
    instance.configtest()  # the real config test passes with our files included
    status, body = instance.get(host="nobody.example.com")
    assert (status, CATCH_ALL in body) == (404, True)  # served only after the reload
    page = client.get(f"/servers/{server.id}").get_data(as_text=True)
    assert "Enabled" in page or "ENABLED" in page


def _platform_tree(kind: str, root: Path) -> dict[str, str]:
    """Build a codebase and return what its Packages tab must show (short name → version)."""
    if kind == "drupal7":
        make_drupal7_platform(root)
        return {"drupal": "7.103", "node": "7.103", **DRUPAL7_CONTRIB}
    if kind == "drupal10":
        make_drupal10_composer_platform(root)
        return {"drupal": "10.2.3", "node": "10.2.3", **DRUPAL10_CONTRIB}
    make_wordpress_platform(root)
    return {"wordpress": debian_wordpress_version()}


@pytest.mark.parametrize("kind", ["drupal7", "drupal10", "wordpress"])
def test_a_platform_added_in_the_ui_lists_its_packages_after_verify(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    aegir_root: Path,
    apache_instance: Any,
    kind: str,
) -> None:
    with app.app_context():
        server_id = web_server(apache_instance, master=True).id
        with apache_instance.expect_reload():
            dispatch_once(app)
    root = aegir_root / "platforms" / kind
    expected = _platform_tree(kind, root)
    auth.login()
    response = auth.submit(
        "/platforms/add", {"name": kind, "root": str(root), "web_server": str(server_id)}
    )
    assert response.status_code == 302
    with apache_instance.expect_reload(), app.app_context():
        dispatch_once(app)
    with app.app_context():
        platform = db.session.scalars(select(Platform)).one()
        task = db.session.scalars(select(Task).where(Task.entity_kind == "platform")).one()
        assert task.status == TaskStatus.SUCCESS, log_text(task.id)
        assert platform.status == PlatformStatus.ENABLED
        assert platform.version == expected.get("drupal", expected.get("wordpress"))
    page = html.unescape(client.get(f"/platforms/{platform.id}/packages").get_data(as_text=True))
    for short_name, version in expected.items():
        row = re.search(
            rf"<tr[^>]*>(?:(?!</tr>).)*\b{short_name}\b(?:(?!</tr>).)*</tr>", page, re.S
        )
        assert row, f"{short_name} is not on the Packages tab"
        assert version in row.group(0), f"{short_name} should show version {version}"
    if kind == "drupal7":
        node = re.search(r"<tr[^>]*>(?:(?!</tr>).)*\bnode\b(?:(?!</tr>).)*</tr>", page, re.S)
        assert node and "7016" in node.group(0)  # schema version from node_update_7016()
    apache_instance.configtest()  # raises when the real config test fails


def test_a_platform_whose_root_does_not_exist_fails_with_a_readable_reason(
    app: Flask, auth: AuthActions, aegir_root: Path, apache_instance: Any
) -> None:
    with app.app_context():
        server_id = web_server(apache_instance, master=True).id
        with apache_instance.expect_reload():
            dispatch_once(app)
    missing = aegir_root / "platforms" / "nowhere"
    auth.login()
    auth.submit(
        "/platforms/add", {"name": "nowhere", "root": str(missing), "web_server": str(server_id)}
    )
    with app.app_context():
        dispatch_once(app)
        task = db.session.scalars(select(Task).where(Task.entity_kind == "platform")).one()
        assert task.status == TaskStatus.ERROR
        assert f"The platform root {missing} does not exist." in log_text(task.id)
        platform = db.session.scalars(select(Platform)).one()
        assert platform.status == PlatformStatus.QUEUED  # never verified


def test_verifying_a_server_verifies_its_platforms_again(
    app: Flask, aegir_root: Path, apache_instance: Any
) -> None:
    from hostmaster.services import tasks
    from hostmaster.services.platforms import create_platform

    root = aegir_root / "platforms" / "d7"
    make_drupal7_platform(root)
    with app.app_context():
        server = web_server(apache_instance, master=True)
        with apache_instance.expect_reload():
            dispatch_once(app)
        platform_id = create_platform("d7", str(root), server).id
        dispatch_once(app)
        tasks.queue(server, "verify")
        dispatch_once(app)  # the server's verify queues its platform's
        verifies = db.session.scalars(
            select(Task).where(Task.entity_kind == "platform").order_by(Task.id)
        ).all()
        assert [t.status for t in verifies] == [TaskStatus.SUCCESS, TaskStatus.QUEUED]
        assert verifies[-1].entity_id == platform_id
        dispatch_once(app)
        db.session.expire_all()
        assert db.session.get(Task, verifies[-1].id).status == TaskStatus.SUCCESS  # type: ignore[union-attr]


def test_deleting_a_platform_without_sites_removes_it_everywhere(
    app: Flask, aegir_root: Path, apache_instance: Any
) -> None:
    from hostmaster.services import tasks
    from hostmaster.services.platforms import create_platform

    root = aegir_root / "platforms" / "old"
    make_drupal7_platform(root)
    conf = aegir_root / "config/server_master/apache/platform.d/platform_old.conf"
    with app.app_context():
        server = web_server(apache_instance, master=True)
        with apache_instance.expect_reload():
            dispatch_once(app)
        platform = create_platform("old", str(root), server)
        dispatch_once(app)
        assert conf.exists()
        task = tasks.queue(platform, "delete")
        dispatch_once(app)
        db.session.expire_all()
        assert db.session.get(Task, task.id).status == TaskStatus.SUCCESS, log_text(task.id)  # type: ignore[union-attr]
        assert db.session.get(Platform, platform.id).status == PlatformStatus.DELETED  # type: ignore[union-attr]
    assert not conf.exists() and not root.exists()
    apache_instance.configtest()
