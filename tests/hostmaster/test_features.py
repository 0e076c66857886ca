"""The Features page: optional parts of the panel switched on and off; a feature that is off
hides its pages and tasks everywhere, and its batch queue does not run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostmaster.extensions import db
from hostmaster.models import Feature, Site, SiteStatus, utcnow
from hostmaster.queues import get as get_queue
from hostmaster.queues.runner import run_if_due
from hostmaster.services import features, tasks
from tests.fixtures.app import AuthActions
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform

BUILTIN = {"clients", "site_aliases", "signup", "cron_queue", "backup_queue", "statistics",
           "migrate", "clone"}


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


@pytest.fixture
def site_id(app: Flask) -> int:
    """An enabled site on a platform, with another platform beside it."""
    with app.app_context():
        server = master_server()
        platform = ready_platform(server, "drupal7")
        ready_platform(server, "drupal7b")
        return enabled_site(platform, server, "www.example.com").id


def _switch(auth: AuthActions, on: set[str]) -> str:
    """Save the Features page with exactly ``on`` checked; the page shown after."""
    response = auth.submit("/admin/features", {"feature": sorted(on)})
    assert response.status_code == 302
    return auth._client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_built_in_features_start_as_the_original_s_most_on_and_sign_up_off(
    app: Flask,
) -> None:
    with app.app_context():
        assert BUILTIN <= set(features.known())
        assert not features.enabled("signup")
        assert all(features.enabled(name) for name in BUILTIN - {"signup"})


def test_the_features_page_lists_built_in_and_plugin_features_with_their_switches(
    client: FlaskClient, logged_in: AuthActions
) -> None:
    page = client.get("/admin/features").get_data(as_text=True)
    for name in BUILTIN:
        assert f'id="feature-switch-{name}"' in page
    assert 'id="feature-switch-signup">' in page  # off: no "checked"
    assert 'id="feature-switch-migrate" checked>' in page
    with client.application.app_context():
        plugins = set(features.known()) - BUILTIN
    for name in plugins:  # the example plugin of tests/test_plugin_example.py, when installed
        assert f'id="feature-{name}"' in page and "plugin" in page


def test_switching_a_feature_off_and_on_again_from_the_page(
    app: Flask, logged_in: AuthActions
) -> None:
    page = _switch(logged_in, BUILTIN - {"signup", "statistics"})
    assert 'id="feature-switch-statistics">' in page
    with app.app_context():
        assert not features.enabled("statistics")
        assert features.enabled("clients")
    _switch(logged_in, BUILTIN)
    with app.app_context():
        assert features.enabled("statistics") and features.enabled("signup")


def test_an_unknown_feature_is_refused_and_nothing_changes(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    response = logged_in.submit("/admin/features", {"feature": ["clients", "teleport"]})
    assert response.status_code == 200
    assert "There is no feature called &#39;teleport&#39;" in response.get_data(as_text=True)
    with app.app_context():
        assert features.enabled("migrate")  # it was not in the list, yet it is still on


def test_with_migrate_off_its_task_compare_page_and_platform_dialog_are_gone(
    app: Flask, client: FlaskClient, logged_in: AuthActions, site_id: int
) -> None:
    with app.app_context():
        site = db.session.get_one(Site, site_id)
        platform_id, other_id = site.platform_id, site.platform_id + 1
    assert f"/tasks/confirm/site/{site_id}/migrate" in client.get(f"/sites/{site_id}").text
    _switch(logged_in, BUILTIN - {"migrate"})
    page = client.get(f"/sites/{site_id}").get_data(as_text=True)
    assert f"/tasks/confirm/site/{site_id}/migrate" not in page
    assert f"/tasks/confirm/site/{site_id}/clone" in page  # clone is its own feature
    assert client.get(f"/tasks/confirm/site/{site_id}/migrate").status_code == 404
    assert client.get(f"/sites/{site_id}/compare/{other_id}").status_code == 404
    assert client.get(f"/platforms/{platform_id}/migrate").status_code == 404
    with app.app_context():
        site = db.session.get_one(Site, site_id)
        reason = tasks.why_unavailable(site, "migrate")
        assert reason is not None and "Migrate feature is switched off" in reason


def test_with_clients_off_the_client_pages_answer_404(
    client: FlaskClient, logged_in: AuthActions
) -> None:
    assert client.get("/clients").status_code == 200
    _switch(logged_in, BUILTIN - {"clients"})
    assert client.get("/clients").status_code == 404


def test_the_sign_up_form_exists_only_while_its_feature_is_on(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    assert client.get("/signup").status_code == 404
    _switch(logged_in, BUILTIN)
    logged_in.logout()
    assert client.get("/signup").status_code == 200


def test_with_site_aliases_off_the_site_form_has_no_alias_field_and_keeps_the_aliases(
    app: Flask, client: FlaskClient, logged_in: AuthActions, site_id: int
) -> None:
    logged_in.submit(f"/sites/{site_id}/edit", {"aliases": "example.com"})
    _switch(logged_in, BUILTIN - {"site_aliases"})
    form = client.get(f"/sites/{site_id}/edit").get_data(as_text=True)
    assert 'name="aliases"' not in form
    with app.app_context():
        client_id = db.session.get_one(Site, site_id).client_id
    logged_in.submit(f"/sites/{site_id}/edit",
                     {"client": str(client_id), "aliases": "other.example.com"})
    with app.app_context():
        site = db.session.get_one(Site, site_id)
        assert [a.alias for a in site.aliases] == ["example.com"]
        assert site.status == SiteStatus.ENABLED


@pytest.mark.parametrize(("queue_name", "feature"),
                         [("cron", "cron_queue"), ("backup", "backup_queue"),
                          ("statistics", "statistics")])
def test_a_batch_queue_of_a_feature_that_is_off_does_not_run(
    app: Flask, queue_name: str, feature: str
) -> None:
    later = utcnow() + timedelta(days=400)  # due, whatever its frequency
    with app.app_context():
        features.switch(feature, False)
        assert run_if_due(app, get_queue(queue_name), later) is False
        features.switch(feature, True)
        assert run_if_due(app, get_queue(queue_name), later) is True


def test_a_switch_is_seen_at_once_here_and_by_the_next_transaction_elsewhere(
        app: Flask) -> None:
    # The switches are read once per transaction (features._switches): a switch here is
    # seen at once, another process's switch by the next transaction.
    with app.app_context():
        assert features.enabled("signup") is False
        features.switch("signup", True)
        assert features.enabled("signup") is True
        assert features.enabled("clone") is True
        with db.engine.begin() as elsewhere:
            elsewhere.execute(Feature.__table__.insert().values(name="clone", enabled=False))
        db.session.rollback()
        assert features.enabled("clone") is False
