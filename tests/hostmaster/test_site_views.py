"""The site pages: the list and a minimal page per site (sites are created by a later issue)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostmaster.extensions import db
from hostmaster.models import Client, Site, SiteStatus
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


def _site(app: Flask, uri: str, status: SiteStatus = SiteStatus.ENABLED) -> int:
    """A site row on a platform, written directly: no service creates sites yet."""
    with app.app_context():
        web = create_server("web1.example.com", services={"http": ServiceSpec("apache")})
        platform = create_platform("drupal7", platform_path("drupal7"), web)
        client = Client(name="Example Ltd", email="ops@example.com", uname="example")
        site = Site(uri=uri, platform=platform, client=client, status=status, profile="standard")
        db.session.add(site)
        db.session.commit()
        return site.id


def test_the_site_list_says_when_there_are_no_sites(
    client: FlaskClient, logged_in: AuthActions
) -> None:
    seen = text(client.get("/sites").get_data(as_text=True))
    assert "No sites yet." in seen


def test_the_site_list_shows_uri_platform_client_and_status(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    site_id = _site(app, "www.example.com")
    page = client.get("/sites").get_data(as_text=True)
    assert "www.example.com drupal7 Example Ltd Enabled" in text(page)
    assert f'href="/sites/{site_id}"' in page


def test_a_deleted_site_is_left_out_of_the_list(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    gone_id = _site(app, "gone.example.com", SiteStatus.DELETED)
    with app.app_context():
        gone = db.session.get_one(Site, gone_id)
        db.session.add(Site(uri="here.example.com", platform=gone.platform, client=gone.client,
                            status=SiteStatus.ENABLED, profile="standard"))
        db.session.commit()
    page = client.get("/sites")
    assert page.status_code == 200
    shown = text(page.get_data(as_text=True))
    assert "here.example.com" in shown and "gone.example.com" not in shown


def test_a_site_page_shows_its_summary_and_task_sections(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    site_id = _site(app, "www.example.com")
    page = client.get(f"/sites/{site_id}").get_data(as_text=True)
    summary = text(part(page, "content", "</section>"))
    assert "www.example.com Enabled" in summary
    assert "Platform drupal7" in summary and "Client Example Ltd" in summary
    assert "Profile standard" in summary
    assert "No tasks have run on this site yet." in text(page)


def test_an_unknown_site_is_not_found(client: FlaskClient, logged_in: AuthActions) -> None:
    assert client.get("/sites/4242").status_code == 404
