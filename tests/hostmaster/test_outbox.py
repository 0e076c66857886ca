"""Mail that tells the truth: every mail goes through the outbox; where a person waits for a
mail (forgot password, a new client's account, sign-up, an administrator's link, a new site's
welcome) a failed send says so; the administrator sees failed mails, sends them again, or
sets the user's password. Mail goes to a real local SMTP server (aiosmtpd), or to a loopback
port where nothing listens ("no SMTP reachable")."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import MailStatus, OutgoingMail, Task
from hostmaster.services import clients, features, outbox, permissions, settings, tasks, users
from tests.fixtures.app import AuthActions
from tests.fixtures.mail import RELAY_PASSWORD, RELAY_USER, smtp_with_login
from tests.fixtures.stack_process import free_port
from tests.hostmaster.pages import text
from tests.hostmaster.site_helpers import (
    Mailbox,
    mailbox,
    master_server,
    new_site,
    ready_platform,
    run_pending,
    use_mailbox,
)

__all__ = ["mailbox", "smtp_with_login"]  # the fixtures, imported for pytest

_LINK = re.compile(r"https?://\S+/account/set-password/\S+")
NEW_PASSWORD = "a long new password"


def no_smtp() -> None:
    """Point the mail settings at a loopback port where nothing listens."""
    settings.save({"smtp_host": "127.0.0.1", "smtp_port": free_port(),
                   "mail_from": "hostmaster@example.com"})


def link_in(message: Any) -> str:
    """The path of the password link in a received mail."""
    found = _LINK.search(message.get_content())
    assert found, message.get_content()
    return urlsplit(found.group(0)).path


def failed_mails() -> list[OutgoingMail]:
    return list(db.session.scalars(select(OutgoingMail).where(
        OutgoingMail.status == MailStatus.FAILED)))


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


def test_forgot_password_says_the_mail_could_not_be_sent_for_known_and_unknown_addresses(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        no_smtp()
    for address in ("admin@example.com", "nobody@example.com"):
        response = auth.submit("/account/reset", {"email": address})
        page = text(response.get_data(as_text=True))
        assert response.status_code == 200
        assert "The mail could not be sent: the panel's mail server did not take it." in page
        assert "on its way" not in page
    with app.app_context():
        (kept,) = failed_mails()  # only the known address had a mail to send
        assert kept.recipient == "admin@example.com" and kept.attempts == 1


def test_a_new_clients_account_whose_mail_fails_is_given_a_password_by_the_admin(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    with app.app_context():
        no_smtp()
    response = logged_in.submit("/clients/add", {
        "name": "Example Ltd.", "email": "office@example.com",
        "email_confirm": "office@example.com"})
    page = text(client.get(response.location).get_data(as_text=True))
    assert "The account office was made, but its password mail could not be sent: the SMTP " \
           "server 127.0.0.1:" in page and "It waits in the outbox" in page
    with app.app_context():
        (kept,) = failed_mails()
        account = users.by_username("office")
        assert account is not None and kept.link_user_id == account.id
        account_id = account.id
    outbox_page = text(client.get("/admin/outbox?status=failed").get_data(as_text=True))
    assert "office@example.com" in outbox_page and "could not be reached" in outbox_page
    set_it = logged_in.submit(f"/admin/users/{account_id}", {
        "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        post_path=f"/admin/users/{account_id}/password")
    assert set_it.status_code == 302
    logged_in.logout()
    assert logged_in.login("office", NEW_PASSWORD).location == "/"


def test_a_failed_mail_is_sent_again_from_the_outbox_with_a_fresh_working_link(
    app: Flask, client: FlaskClient, logged_in: AuthActions, mailbox: Mailbox
) -> None:
    with app.app_context():
        no_smtp()
        made, account = clients.create_client(clients.ClientSpec(
            "Example Ltd.", "office@example.com", "office@example.com"))
        assert account is not None
        (kept,) = [clients.send_welcome(made, account)]
        assert kept is not None and kept.status == MailStatus.FAILED
        # No password link rests in the store: the body keeps a marker in its place.
        assert outbox.PASSWORD_LINK_MARKER in kept.body and "/set-password/" not in kept.body
        mail_id = kept.id
        use_mailbox(mailbox)
    shown = text(client.get(f"/admin/outbox/{mail_id}").get_data(as_text=True))
    assert "the SMTP server 127.0.0.1:" in shown and "made afresh at each try" in shown
    response = logged_in.submit(f"/admin/outbox/{mail_id}", {},
                                post_path=f"/admin/outbox/{mail_id}/resend")
    assert f"The mail to office@example.com went through 127.0.0.1:{mailbox.port}." in text(
        client.get(response.location).get_data(as_text=True))
    with app.app_context():
        again = db.session.get_one(OutgoingMail, mail_id)
        assert (again.status, again.attempts, again.last_error) == (MailStatus.SENT, 2, "")
    link = link_in(mailbox.messages[-1])
    logged_in.logout()
    assert logged_in.submit(link, {"password": NEW_PASSWORD,
                                   "password_confirm": NEW_PASSWORD}).location == "/login"
    assert logged_in.login("office", NEW_PASSWORD).location == "/"


def test_an_admin_mails_any_user_a_link_and_is_told_when_it_could_not_go(
    app: Flask, client: FlaskClient, logged_in: AuthActions, mailbox: Mailbox
) -> None:
    with app.app_context():
        jane = users.create_user("jane", "jane@example.com", None, roles=["client"])
        jane_id = jane.id
        no_smtp()
    path = f"/admin/users/{jane_id}"
    failed = logged_in.submit(path, {}, post_path=f"{path}/password-link")
    page = text(client.get(failed.location).get_data(as_text=True))
    assert "The link could not be mailed to jane@example.com: the SMTP server" in page
    with app.app_context():
        use_mailbox(mailbox)
    went = logged_in.submit(path, {}, post_path=f"{path}/password-link")
    assert "A link to set a password went to jane@example.com" in text(
        client.get(went.location).get_data(as_text=True))
    (received,) = mailbox.messages
    assert received["Subject"] == "Set your password for Hostmaster"
    logged_in.logout()
    link = link_in(received)
    assert logged_in.submit(link, {"password": NEW_PASSWORD,
                                   "password_confirm": NEW_PASSWORD}).location == "/login"


def test_a_sign_up_whose_mail_fails_says_so(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        permissions.seed_roles()
        server = master_server()
        platform = ready_platform(server)
        features.switch("signup", True)
        settings.save({"signup_platforms": [platform.id], "signup_profiles": ["standard"]})
        no_smtp()
        platform_id = platform.id
    done = AuthActions(client).submit("/signup", {
        "name": "Jane Doe", "email": "jane@example.org", "uri": "jane.example.org",
        "platform": str(platform_id), "profile": "standard"})
    assert "we could not mail you the link to set your password" in text(
        done.get_data(as_text=True))
    with app.app_context():
        (kept,) = failed_mails()
        assert (kept.recipient, kept.purpose) == ("jane@example.org", "sign-up")


def test_an_install_whose_welcome_mail_fails_ends_as_a_warning_pointing_at_the_outbox(
    app: Flask,
) -> None:
    with app.app_context():
        no_smtp()
        server = master_server()
        site = new_site(ready_platform(server), server, "shop.example.com")
        status = run_pending(site, "install", {"db_name": "shop", "cron_key": "k",
                                               "login_link": "http://shop.example.com/u/1"})
        assert status.name == "WARNING"
        task = db.session.scalars(select(Task).where(Task.type == "install")).one()
        warning = [line.message for line in tasks.log_of(task) if line.level == "warning"]
        assert warning == [
            f"The welcome mail to admin@localhost.localdomain could not be sent: "
            f"{failed_mails()[0].last_error}. It waits in the outbox (Administration › Outbox): "
            "check the mail settings, then send it again there."]


def test_mail_goes_through_an_smtp_server_that_wants_starttls_and_a_login(
    app: Flask, smtp_with_login: Mailbox
) -> None:
    server = f"127.0.0.1:{smtp_with_login.port}"
    with app.app_context():
        settings.save({"smtp_host": "127.0.0.1", "smtp_port": smtp_with_login.port,
                       "smtp_username": RELAY_USER, "smtp_password": RELAY_PASSWORD})
        plain = outbox.send("me@example.com", "Hello", "Hi.", "test")
        assert plain.status == MailStatus.FAILED and server in plain.last_error
        settings.save({"smtp_security": "starttls", "smtp_password": "wrong password"})
        assert not outbox.resend(plain)
        assert plain.last_error == f"the SMTP server {server} refused the user name or password"
        settings.save({"smtp_password": RELAY_PASSWORD})
        assert outbox.resend(plain) and plain.attempts == 3
        assert [m["Subject"] for m in smtp_with_login.messages] == ["Hello"]
