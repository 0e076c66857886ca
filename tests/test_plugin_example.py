"""The example plugin of contrib/plugins/site_environment, installed in the test environment
(contrib/stack/venv.sh): a field on the site form whose value takes every hop, to the served
page's environment through the real web server and into the settings file, after install,
after each verify and after a migrate to another platform; off, the field and its effects go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import Site, Task
from hostmaster.services import features
from hostmaster.services.platforms import create_platform
from tests.fixtures.app import AuthActions, one_store
from tests.fixtures.platforms import make_drupal7_platform
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.stack_process import poll
from tests.hostmaster.pages import text
from tests.hostmaster.site_helpers import Mailbox, mailbox, use_mailbox
from tests.test_sites import confirm, create_in_ui, fetch, ready, run_task

# These test provision and the real stack through the app, not the store (see conftest).
pytestmark = one_store

__all__ = ["mailbox"]  # the fixture, imported for pytest

PLUGIN = "site_environment"
#: A page of the platform that shows what the vhost hands PHP.
ENV_PAGE = "<?php print 'environment=' . ($_SERVER['HOSTMASTER_ENVIRONMENT'] ?? 'none');\n"


def served_environment(instance: Any, uri: str) -> str:
    """The environment the site's page shows, asked until it answers 200: `nginx -s reload`
    returns before nginx has read the new configuration, which under load may be a moment
    after the task ends (a move's middle sends the site to the "disabled" page, 302)."""
    answers: list[tuple[int, dict[str, str], str]] = []

    def served() -> bool:
        answers[:] = [fetch(instance, "/env.php", uri)]
        return answers[0][0] == 200

    assert poll(served, 15), answers[0][2][:300]
    return answers[0][2].strip().removeprefix("environment=")


def settings_constant(root: Path, uri: str) -> str | None:
    settings = (root / "sites" / uri / "settings.php").read_text()
    marker = "define('HOSTMASTER_ENVIRONMENT', '"
    return settings.split(marker, 1)[1].split("'", 1)[0] if marker in settings else None


@pytest.mark.parametrize("kind", ["apache", "nginx"])
def test_the_environment_field_reaches_the_vhost_and_the_settings_and_survives_verify(
    app: Flask, client: FlaskClient, auth: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, mailbox: Mailbox, kind: str, request: pytest.FixtureRequest,
) -> None:
    instance = request.getfixturevalue(f"{kind}_instance")
    uri = f"env-{kind}.example.test"
    root = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    (root / "env.php").write_text(ENV_PAGE)
    auth.login()
    with app.app_context():
        use_mailbox(mailbox)
        features.switch(PLUGIN, True)
        server_id, platform_id = ready(app, kind, instance, mariadb_admin, root)
    form = client.get("/sites/add").get_data(as_text=True)
    assert 'name="plugin_environment"' in form and "Staging" in form

    site_id = create_in_ui(auth, uri, server_id, platform_id, profile="standard",
                           plugin_environment="staging")
    try:
        with app.app_context():
            run_task(app, instance, site_id, "install")
            assert db.session.get_one(Site, site_id).plugin_fields == {"environment": "staging"}
        check_the_value_takes_every_hop(app, client, auth, instance, root, uri, site_id)
    finally:
        for task in ("disable", "delete"):
            confirm(auth, site_id, task)
            with app.app_context():
                run_task(app, instance, site_id, task)


def check_the_value_takes_every_hop(app: Flask, client: FlaskClient, auth: AuthActions,
                                    instance: Any, root: Path, uri: str, site_id: int) -> None:
    assert served_environment(instance, uri) == "staging"
    assert settings_constant(root, uri) == "staging"

    edited = auth.submit(f"/sites/{site_id}/edit", {
        "client": "", "aliases": "", "plugin_environment": "development"})
    assert edited.status_code == 302, text(edited.get_data(as_text=True))
    with app.app_context():
        run_task(app, instance, site_id, "verify")
    assert served_environment(instance, uri) == "development"
    assert settings_constant(root, uri) == "development"

    # A plain re-verify writes the value again.
    assert auth.submit(f"/sites/{site_id}", {}, post_path=f"/tasks/run/site/{site_id}/verify")
    with app.app_context():
        run_task(app, instance, site_id, "verify")
    assert served_environment(instance, uri) == "development"
    assert settings_constant(root, uri) == "development"

    # Migrated to another platform, the site keeps its value there.
    target_root = make_drupal7_platform(root.parent / "drupal7b")
    (target_root / "env.php").write_text(ENV_PAGE)
    with app.app_context():
        site = db.session.get_one(Site, site_id)
        target = create_platform("drupal7b", str(target_root), site.platform.web_server)
        with instance.expect_reload():
            dispatch_once(app)
        target_id, server_id = target.id, site.db_server_id
    moved = auth.submit(f"/tasks/confirm/site/{site_id}/migrate", {
        "target_platform": target_id, "target_db_server": server_id, "new_uri": uri})
    assert moved.status_code == 302, text(moved.get_data(as_text=True))
    with app.app_context():
        run_task(app, instance, site_id, "migrate")
        assert db.session.get_one(Site, site_id).platform_id == target_id
    assert not (root / "sites" / uri).exists()
    assert served_environment(instance, uri) == "development"
    assert settings_constant(target_root, uri) == "development"
    root = target_root

    # Off, the field leaves the form and the next verify takes the value out of the site.
    with app.app_context():
        features.switch(PLUGIN, False)
    assert 'name="plugin_environment"' not in client.get(
        f"/sites/{site_id}/edit").get_data(as_text=True)
    assert auth.submit(f"/sites/{site_id}", {}, post_path=f"/tasks/run/site/{site_id}/verify")
    with app.app_context():
        run_task(app, instance, site_id, "verify")
    assert served_environment(instance, uri) == "none"
    assert settings_constant(root, uri) is None


def test_a_value_the_field_does_not_offer_is_refused_and_nothing_is_queued(
    app: Flask, client: FlaskClient, auth: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, apache_instance: Any,
) -> None:
    root = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    auth.login()
    with app.app_context():
        features.switch(PLUGIN, True)
        server_id, platform_id = ready(app, "apache", apache_instance, mariadb_admin, root)
        tasks_before = db.session.scalar(select(func.count()).select_from(Task))
    response = auth.submit("/sites/add", {
        "uri": "bad-env.example.test", "client": "", "profile": "standard",
        "platform": str(platform_id), "language": "en", "db_server": str(server_id),
        "aliases": "", "plugin_environment": "production'; system('id'); '"})
    assert response.status_code == 200
    assert "Choose one of: Production, Staging, Development." in text(
        response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Site)) == 0
        assert db.session.scalar(select(func.count()).select_from(Task)) == tasks_before
