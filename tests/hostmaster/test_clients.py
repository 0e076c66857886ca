"""Clients: the add form (e-mail twice, a sanitised unique short name, the users allowed),
the account and welcome mail a new client gets by the settings, editing, deleting, and the
administrators-only rule."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Client, Site, User
from hostmaster.services import clients, settings, users
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


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


def client_form(**changes: Any) -> dict[str, Any]:
    """What an admin types into the client form."""
    return {"name": "Example Ltd.", "organisation": "Example", "email": "office@example.com",
            "email_confirm": "office@example.com", "uname": "", "usernames": "", **changes}


def test_a_new_client_gets_a_short_name_an_account_and_a_welcome_mail(
    app: Flask, client: FlaskClient, logged_in: AuthActions, mailbox: Mailbox
) -> None:
    with app.app_context():
        use_mailbox(mailbox)
    response = logged_in.submit("/clients/add", client_form())
    with app.app_context():
        row = db.session.scalars(select(Client)).one()
        assert response.location == f"/clients/{row.id}"
        assert (row.name, row.organisation, row.uname) == ("Example Ltd.", "Example", "exampleltd")
        account = db.session.scalars(select(User).where(User.username == "office")).one()
        assert account.has_role("client") and [r.user_id for r in row.users] == [account.id]
    page = text(client.get(response.location).get_data(as_text=True))
    assert "The account office was made and mailed a password link." in page
    assert "exampleltd" in page and "office" in page
    mail = mailbox.messages[0]
    assert (mail["To"], mail["Subject"]) == ("office@example.com", "Your Hostmaster account office")
    assert re.search(r"/account/set-password/\S+", mail.get_content())
    assert "Example Ltd." in text(client.get("/clients").get_data(as_text=True))


def test_short_names_are_sanitised_unique_and_at_most_16_characters(
    app: Flask, logged_in: AuthActions
) -> None:
    with app.app_context():
        settings.save({"client_create_user": False})
    long_name = "The Very Long Company Name of Doom"
    for _ in range(2):
        logged_in.submit("/clients/add", client_form(name=long_name))
    with app.app_context():
        names = sorted(db.session.scalars(select(Client.uname)))
    assert names == ["theverylongcomp2", "theverylongcompa"]
    typed = logged_in.submit("/clients/add", client_form(name="Other", uname="The-Very Long!Compa"))
    assert field_error(typed.get_data(as_text=True), "uname") == (
        "The short name theverylongcompa is taken; choose another.")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email_confirm": "ofice@example.com"}, "email_confirm",
         "The two addresses differ; type the same address twice."),
        ({"email": "office", "email_confirm": "office"}, "email", "is not an e-mail address"),
        ({"name": "  "}, "name", "Enter the client's name"),
        ({"uname": "!!!"}, "uname", "A short name needs at least one letter or digit."),
        ({"usernames": "admin\nghost"}, "usernames", "No account is called ghost"),
    ],
    ids=["emails-differ", "bad-email", "no-name", "empty-uname", "unknown-user"],
)
def test_bad_client_input_is_refused_beside_the_field_and_changes_nothing(
    app: Flask, logged_in: AuthActions, changes: dict[str, str], field: str, message: str
) -> None:
    response = logged_in.submit("/clients/add", client_form(**changes))
    assert message in field_error(response.get_data(as_text=True), field)
    assert rows(app, Client) == (0,)
    with app.app_context():
        assert [u.username for u in users.list_users()] == ["admin"]


def test_a_client_naming_its_users_gets_no_new_account_and_edits_keep_the_list(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    with app.app_context():
        users.create_user("jane", "jane@example.com", "a long password!", roles=["client"])
    created = logged_in.submit("/clients/add", client_form(usernames="jane"))
    path = created.location
    edited = logged_in.submit(f"{path}/edit", client_form(
        name="Example Limited", usernames="jane\nadmin", uname="exltd"), f"{path}/edit")
    assert edited.location == path
    with app.app_context():
        row = db.session.scalars(select(Client)).one()
        assert (row.name, row.uname) == ("Example Limited", "exltd")
        assert sorted(r.user.username for r in row.users) == ["admin", "jane"]
        assert len(users.list_users()) == 2


def test_a_client_with_sites_cannot_be_deleted_and_one_without_can(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    with app.app_context():
        settings.save({"client_create_user": False})
        owner, _made = clients.create_client(clients.ClientSpec(
            "Owner", "owner@example.com", "owner@example.com"))
        empty, _made = clients.create_client(clients.ClientSpec(
            "Empty", "empty@example.com", "empty@example.com"))
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        site.client = owner
        db.session.commit()
        owner_id, empty_id = owner.id, empty.id
    page = client.get(f"/clients/{owner_id}").get_data(as_text=True)
    assert "www.example.com" in text(page)
    token = logged_in.csrf_token(f"/clients/{owner_id}")
    refused = client.post(f"/clients/{owner_id}/delete", data={"csrf_token": token})
    assert "Owner still owns sites" in text(client.get(refused.location).get_data(as_text=True))
    client.post(f"/clients/{empty_id}/delete", data={"csrf_token": token})
    with app.app_context():
        assert sorted(db.session.scalars(select(Client.name))) == ["Default client", "Owner"]
        assert db.session.scalars(select(Site)).one().client_id == owner_id


def test_the_settings_form_refuses_a_welcome_mail_without_its_link(
    app: Flask, logged_in: AuthActions
) -> None:
    response = logged_in.submit("/clients/settings", {
        "client_welcome_subject": "Hi", "client_welcome_body": "Welcome aboard.",
        "signup_rate_limit": "5", "signup_subject": "S", "signup_body": "$link",
    })
    assert "The mail must contain $link" in field_error(
        response.get_data(as_text=True), "client_welcome_body")
    with app.app_context():
        assert settings.get("client_welcome_body") == settings.DEFAULTS["client_welcome_body"]


def test_a_client_user_sees_and_edits_only_their_own_client(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        settings.save({"client_create_user": False})
        jane = users.create_user("jane", "jane@example.com", "a long password!",
                                 roles=["client"])
        own, _made = clients.create_client(clients.ClientSpec(
            "Jane's shop", "jane@example.com", "jane@example.com", usernames=["jane"]))
        other, _made = clients.create_client(clients.ClientSpec(
            "Someone else", "else@example.com", "else@example.com"))
        own_id, other_id, jane_id = own.id, other.id, jane.id
    auth.login("jane", "a long password!")
    listing = text(client.get("/clients").get_data(as_text=True))
    assert "Jane's shop" in listing and "Someone else" not in listing
    assert "Add client" not in listing
    for path in (f"/clients/{other_id}", f"/clients/{other_id}/edit", "/clients/add",
                 "/clients/settings"):
        assert client.get(path).status_code == 404, path
    form = client.get(f"/clients/{own_id}/edit").get_data(as_text=True)
    assert 'name="uname"' not in form and 'name="usernames"' not in form
    saved = auth.submit(f"/clients/{own_id}/edit", client_form(
        name="Jane's new shop", email="jane@example.com", email_confirm="jane@example.com",
        uname="stolen", usernames="jane\nadmin"))
    assert saved.location == f"/clients/{own_id}"
    with app.app_context():
        row = db.session.get_one(Client, own_id)
        assert (row.name, row.uname) == ("Jane's new shop", "janesshop")
        assert [r.user_id for r in row.users] == [jane_id]
