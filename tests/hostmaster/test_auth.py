"""Logging in and out, the login requirement on every page, and CSRF on every form."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostmaster.extensions import db
from hostmaster.models import Server, Task
from hostmaster.services import users
from tests.fixtures.app import ADMIN_PASSWORD, AuthActions, make_app
from tests.hostmaster.pages import rows, text

PAGES = [
    "/",
    "/servers",
    "/servers/add",
    "/servers/1",
    "/platforms",
    "/platforms/add",
    "/platforms/1",
    "/platforms/1/packages",
    "/sites",
    "/sites/1",
    "/tasks",
    "/tasks?status=error",
    "/tasks/1",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_an_anonymous_visitor_to_the_login_form(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/login"
    assert parse_qs(target.query).get("next", ["/"]) == [path]  # where to go back after login


def test_the_live_log_answers_an_anonymous_script_with_401_not_a_login_form(
    client: FlaskClient,
) -> None:
    assert client.get("/tasks/1/log.json").status_code == 401


def test_the_login_form_and_its_stylesheet_need_no_login(client: FlaskClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert "Log in" in text(page.get_data(as_text=True))
    stylesheet = client.get("/static/css/hostmaster.css")
    assert stylesheet.status_code == 200 and b".badge" in stylesheet.data
    stylesheet.close()


def test_logging_in_leads_back_to_the_page_that_was_asked_for(
    client: FlaskClient, auth: AuthActions
) -> None:
    assert client.get("/servers").location == "/login?next=/servers"
    token = auth.csrf_token("/login?next=/servers")
    response = client.post(
        "/login?next=/servers",
        data={"username": "admin", "password": "correct horse battery staple", "csrf_token": token},
    )
    assert response.location == "/servers"
    assert client.get("/servers").status_code == 200


@pytest.mark.parametrize(
    "target", ["//evil.example.com/", "https://evil.example.com/", "/\\evil.example.com"]
)
def test_after_login_an_address_on_another_site_is_ignored(
    client: FlaskClient, auth: AuthActions, target: str
) -> None:
    token = auth.csrf_token("/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "admin", "password": "correct horse battery staple", "csrf_token": token},
    )
    assert response.status_code == 302 and response.location == "/"


@pytest.mark.parametrize(
    ("username", "password"), [("admin", "wrong password"), ("nobody", "wrong password")]
)
def test_a_wrong_login_is_refused_without_saying_whether_the_user_exists(
    client: FlaskClient, auth: AuthActions, username: str, password: str
) -> None:
    response = auth.login(username, password)
    assert response.status_code == 200
    assert "The user name or password is not right." in text(response.get_data(as_text=True))
    assert client.get("/").status_code == 302  # still logged out


def test_the_header_shows_who_is_logged_in_with_a_log_out_button(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    page = client.get("/").get_data(as_text=True)
    assert 'class="user-name"' in page and ">admin<" in page
    assert 'action="/logout"' in page and "Log out" in page
    for tab in ("Sites", "Platforms", "Servers", "Tasks"):
        assert f">{tab}</a>" in page


def test_logging_out_takes_a_post_and_ends_the_session(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    assert client.get("/logout").status_code == 405  # a link or an image cannot log anyone out
    assert client.get("/").status_code == 200
    response = auth.logout()
    assert response.location == "/login"
    assert client.get("/").status_code == 302


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    response = client.post("/servers/add", data={"hostname": "web1.example.com"})
    assert response.status_code == 400
    assert "nothing was changed" in text(response.get_data(as_text=True))
    assert rows(app, Server, Task) == (0, 0)


def test_logging_out_without_a_csrf_token_is_refused(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in


def test_logging_in_without_a_csrf_token_is_refused(client: FlaskClient, auth: AuthActions) -> None:
    response = client.post(
        "/login", data={"username": "admin", "password": "correct horse battery staple"}
    )
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_a_production_app_hashes_passwords_with_scrypt_and_only_a_test_app_with_one_pbkdf2_round(
    app: Flask, aegir_root: Path
) -> None:
    production = make_app(app.config["SQLALCHEMY_DATABASE_URI"], aegir_root, TESTING=False)
    with production.app_context():
        user = users.create_user("owner", "owner@example.com", ADMIN_PASSWORD)
        assert user.password_hash.startswith("scrypt:32768:8:1$")
        assert users.authenticate("owner", ADMIN_PASSWORD, "127.0.0.1") is not None
        db.session.remove()
        db.engine.dispose()
    with app.app_context():
        user = users.create_user("tester", "tester@example.com", ADMIN_PASSWORD)
        assert user.password_hash.startswith("pbkdf2:sha256:1$")
        # The test app checks the production hash as well: the method is stored in the hash.
        assert users.authenticate("owner", ADMIN_PASSWORD, "127.0.0.1") is not None
