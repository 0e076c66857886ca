"""The sign-up form, tried as a new visitor would: a client, its user and a site with its
install queued; the password mail arrives at a local SMTP server; its link sets a password;
the form is off by default, refuses bad input and answers a flood from one address."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Client, Site, SiteStatus, Task, TaskStatus, User
from hostmaster.services import features, permissions, tasks
from tests.fixtures.app import AuthActions
from tests.hostmaster.pages import field_error, rows, text
from tests.hostmaster.site_helpers import (
    Mailbox,
    enabled_site,
    mailbox,
    master_server,
    ready_platform,
    use_mailbox,
)

__all__ = ["mailbox"]  # the fixture, imported for pytest

NEW_PASSWORD = "a long new password"
_LINK = re.compile(r"https?://\S+/account/set-password/\S+")


def switch_signup_on() -> None:
    """The admin switches the sign-up feature on (it is off by default)."""
    features.switch("signup", True)


@pytest.fixture
def offered(app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox) -> dict[str, int]:
    """A master server, a Drupal platform (minimal, standard) and a WordPress platform, both
    offered for sign-up with the standard profile by the admin through the settings form; an
    admin's site www.example.com exists; mail goes to ``mailbox``. The admin logs out."""
    with app.app_context():
        # The built-in roles with their grants, as the migration and bootstrap make them (the
        # MariaDB store is emptied between tests): visitors may use the sign-up form.
        permissions.seed_roles()
        server = master_server()
        drupal = ready_platform(server)
        wordpress = ready_platform(server, "wordpress", profiles=())
        enabled_site(drupal, server, "www.example.com")
        use_mailbox(mailbox)
        switch_signup_on()
        ids = {"drupal": drupal.id, "wordpress": wordpress.id}
    auth.login()
    response = auth.submit("/clients/settings", {
        "client_uname_prefix": "", "client_create_user": "y", "client_welcome_mail": "y",
        "client_welcome_subject": "Welcome $username", "client_welcome_body": "Hi $link",
        "signup_platforms": [str(ids["drupal"]), str(ids["wordpress"])],
        "signup_profiles": ["standard"], "signup_rate_limit": "5",
        "signup_subject": "Your new site $site", "signup_body": "Hello $name: $link",
    })
    assert response.status_code == 302, text(response.get_data(as_text=True))
    auth.logout()
    return ids


def signup_form(ids: dict[str, int], **changes: Any) -> dict[str, Any]:
    """What a visitor types into the sign-up form."""
    return {"name": "Jane Doe", "email": "jane@example.org", "uri": "jane.example.org",
            "platform": str(ids["drupal"]), "profile": "standard", **changes}


def test_the_sign_up_form_is_off_by_default(client: FlaskClient, app: Flask) -> None:
    assert client.get("/signup").status_code == 404
    assert "Sign up" not in text(client.get("/login").get_data(as_text=True))


def test_signing_up_makes_a_client_a_user_and_a_site_and_the_mailed_link_sets_a_password(
    app: Flask, client: FlaskClient, auth: AuthActions, offered: dict[str, int],
    mailbox: Mailbox,
) -> None:
    login_page = text(client.get("/login").get_data(as_text=True))
    assert "Sign up for a site" in login_page
    page = client.get("/signup").get_data(as_text=True)
    assert "drupal7" in page and "wordpress" in page
    response = auth.submit("/signup", signup_form(offered))
    assert response.status_code == 200
    assert "Your site jane.example.org is being installed" in text(response.get_data(as_text=True))
    with app.app_context():
        client_row = db.session.scalars(
            select(Client).where(Client.email == "jane@example.org")).one()
        assert (client_row.name, client_row.uname) == ("Jane Doe", "janedoe")
        user = db.session.scalars(select(User).where(User.username == "jane")).one()
        assert user.has_role("client") and [r.user_id for r in client_row.users] == [user.id]
        site = db.session.scalars(select(Site).where(Site.uri == "jane.example.org")).one()
        assert (site.client_id, site.status, site.profile) == (
            client_row.id, SiteStatus.QUEUED, "standard")
        install = tasks.pending_task(site, "install")
        assert install is not None and install.status == TaskStatus.QUEUED
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["To"] == "jane@example.org" and mail["Subject"] == "Your new site jane.example.org"
    body = mail.get_content()
    assert NEW_PASSWORD not in body and "Hello Jane Doe:" in body
    match = _LINK.search(body)
    assert match, body
    link = urlsplit(match.group(0)).path
    # No password works before the link is used.
    assert "not right" in text(auth.login("jane", "anything at all").get_data(as_text=True))
    form = client.get(link)
    assert form.status_code == 200 and "jane" in text(form.get_data(as_text=True))
    response = auth.submit(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.location == "/login"
    assert client.get(link).status_code == 404  # one use only
    assert auth.login("jane", NEW_PASSWORD).status_code == 302
    # The new user sees their own site and nothing of the admin's.
    listing = text(client.get("/sites").get_data(as_text=True))
    assert "jane.example.org" in listing and "www.example.com" not in listing
    with app.app_context():
        theirs = db.session.scalars(select(Site.id).where(Site.uri == "jane.example.org")).one()
        admins = db.session.scalars(select(Site.id).where(Site.uri == "www.example.com")).one()
    assert client.get(f"/sites/{theirs}").status_code == 200
    assert client.get(f"/sites/{admins}").status_code == 404


def test_a_taken_domain_is_refused_with_a_clear_message_and_nothing_is_made(
    app: Flask, client: FlaskClient, auth: AuthActions, offered: dict[str, int],
    mailbox: Mailbox,
) -> None:
    before = rows(app, Client, User, Site, Task)
    response = auth.submit("/signup", signup_form(offered, uri="www.example.com"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "uri") == (
        "www.example.com is already used by another site; choose another domain.")
    assert rows(app, Client, User, Site, Task) == before
    assert mailbox.messages == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " "}, "name", "Enter your name"),
        ({"email": "not-an-address"}, "email", "is not an e-mail address"),
        ({"uri": "no spaces.example.org"}, "uri", ""),
        ({"profile": "minimal"}, "profile", "drupal7 offers these profiles: standard."),
        ({"platform": "999"}, "platform", "Choose one of the platforms offered."),
    ],
    ids=["no-name", "bad-email", "bad-domain", "profile-not-offered", "platform-not-offered"],
)
def test_bad_sign_ups_are_refused_beside_the_field_and_change_nothing(
    app: Flask, client: FlaskClient, auth: AuthActions, offered: dict[str, int],
    changes: dict[str, str], field: str, message: str,
) -> None:
    before = rows(app, Client, User, Site, Task)
    response = auth.submit("/signup", signup_form(offered, **changes))
    error = field_error(response.get_data(as_text=True), field)
    assert response.status_code == 200 and error and message in error
    assert rows(app, Client, User, Site, Task) == before


def test_a_wordpress_sign_up_takes_no_profile(
    app: Flask, client: FlaskClient, auth: AuthActions, offered: dict[str, int],
) -> None:
    response = auth.submit("/signup", signup_form(
        offered, platform=str(offered["wordpress"]), profile="", uri="blog.example.org"))
    assert response.status_code == 200
    with app.app_context():
        site = db.session.scalars(select(Site).where(Site.uri == "blog.example.org")).one()
        assert (site.platform_id, site.profile) == (offered["wordpress"], "")


def test_twenty_sign_ups_from_one_address_within_a_minute_meet_the_rate_limit(
    app: Flask, client: FlaskClient, auth: AuthActions, offered: dict[str, int],
) -> None:
    answers = []
    for number in range(20):
        token = auth.csrf_token("/signup")
        response = client.post(
            "/signup",
            data={**signup_form(offered, uri=f"site{number}.example.org",
                                email=f"user{number}@example.org"), "csrf_token": token},
            environ_base={"REMOTE_ADDR": "192.0.2.7"},
        )
        answers.append(response.status_code)
    assert answers == [200] * 5 + [429] * 15
    refused = text(response.get_data(as_text=True))
    assert "Too many sign-ups from your address. Try again in" in refused
    with app.app_context():
        assert len(db.session.scalars(select(Site).where(Site.uri.like("site%"))).all()) == 5
    # Another address is not held back by this one.
    token = auth.csrf_token("/signup")
    other = client.post(
        "/signup",
        data={**signup_form(offered, uri="other.example.org"), "csrf_token": token},
        environ_base={"REMOTE_ADDR": "192.0.2.8"},
    )
    assert other.status_code == 200
