"""Account basics: password reset by mail (never saying whether an address has an account),
changing one's own password and e-mail, failed logins that slow down the same way for any
name, and session cookies that are Secure over HTTPS and always HttpOnly and SameSite.
(Sessions that end, and throttling per address, are tested over real HTTP in
test_sessions_http.py.)"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import User
from hostmaster.services import login_throttle
from tests.fixtures.app import ADMIN_PASSWORD, AuthActions
from tests.hostmaster.pages import field_error, text
from tests.hostmaster.site_helpers import Mailbox, mailbox, use_mailbox

__all__ = ["mailbox"]  # the fixture, imported for pytest

NEW_PASSWORD = "another long password"
_LINK = re.compile(r"https?://\S+/account/set-password/\S+")


def mailed_link(box: Mailbox) -> str:
    """The path of the password link in the last mail."""
    match = _LINK.search(box.messages[-1].get_content())
    assert match, box.messages[-1].get_content()
    return urlsplit(match.group(0)).path


def test_a_reset_mail_carries_a_one_time_link_that_sets_the_password(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    with app.app_context():
        use_mailbox(mailbox)
    assert "Forgot your password?" in text(client.get("/login").get_data(as_text=True))
    response = auth.submit("/account/reset", {"email": "ADMIN@example.com"})
    assert response.location == "/login"
    assert "If an account uses ADMIN@example.com, a mail" in text(
        client.get("/login").get_data(as_text=True))
    assert [m["To"] for m in mailbox.messages] == ["admin@example.com"]
    body = mailbox.messages[0].get_content()
    assert ADMIN_PASSWORD not in body and "admin" in body
    assert mailbox.messages[0]["From"] == "hostmaster@example.com"
    link = mailed_link(mailbox)
    refused = auth.submit(link, {"password": NEW_PASSWORD, "password_confirm": "different one"})
    assert "The two passwords differ" in field_error(refused.get_data(as_text=True), "password")
    assert auth.submit(link, {"password": NEW_PASSWORD,
                              "password_confirm": NEW_PASSWORD}).location == "/login"
    spent = client.get(link)
    assert spent.status_code == 404 and "This link no longer works" in text(
        spent.get_data(as_text=True))
    assert auth.login("admin", ADMIN_PASSWORD).status_code == 200  # the old one is gone
    assert auth.login("admin", NEW_PASSWORD).location == "/"


def test_a_password_set_through_a_mailed_link_ends_the_accounts_sessions(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    with app.app_context():
        use_mailbox(mailbox)
    elsewhere = app.test_client()  # a browser where the account is still logged in
    AuthActions(elsewhere).login()
    assert elsewhere.get("/").status_code == 200
    auth.submit("/account/reset", {"email": "admin@example.com"})
    auth.submit(mailed_link(mailbox), {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert elsewhere.get("/").location == "/login"


def test_a_reset_for_an_unknown_address_says_the_same_and_mails_nothing(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    with app.app_context():
        use_mailbox(mailbox)
    auth.submit("/account/reset", {"email": "nobody@example.com"})
    shown = text(client.get("/login").get_data(as_text=True))
    assert "If an account uses nobody@example.com, a mail with a link" in shown
    assert mailbox.messages == []


def test_a_forged_or_altered_link_sets_nothing(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    with app.app_context():
        use_mailbox(mailbox)
    auth.submit("/account/reset", {"email": "admin@example.com"})
    link = mailed_link(mailbox)
    assert client.get(link[:-3] + "abc").status_code == 404
    assert client.get("/account/set-password/not-a-token").status_code == 404


def test_reset_requests_from_one_address_are_rate_limited(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    with app.app_context():
        use_mailbox(mailbox)
    codes = [auth.submit("/account/reset", {"email": "admin@example.com"}).status_code
             for _ in range(7)]
    assert codes == [302] * 5 + [429] * 2
    assert len(mailbox.messages) == 5


def test_changing_ones_password_needs_the_current_one(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    page = client.get("/account").get_data(as_text=True)
    assert "admin@example.com" in text(page)
    wrong = auth.submit("/account", {"pw-current_password": "wrong password",
                                     "pw-password": NEW_PASSWORD,
                                     "pw-password_confirm": NEW_PASSWORD}, "/account/password")
    assert "Your current password is not right" in field_error(
        wrong.get_data(as_text=True), "pw-current_password")
    short = auth.submit("/account", {"pw-current_password": ADMIN_PASSWORD,
                                     "pw-password": "short", "pw-password_confirm": "short"},
                        "/account/password")
    assert "at least 10 characters" in field_error(short.get_data(as_text=True), "pw-password")
    done = auth.submit("/account", {"pw-current_password": ADMIN_PASSWORD,
                                    "pw-password": NEW_PASSWORD,
                                    "pw-password_confirm": NEW_PASSWORD}, "/account/password")
    assert done.location == "/account"
    auth.logout()
    assert auth.login("admin", NEW_PASSWORD).location == "/"


def test_changing_ones_e_mail_needs_the_password_and_the_address_twice(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    differ = auth.submit("/account", {"em-current_password": ADMIN_PASSWORD,
                                      "em-email": "new@example.com",
                                      "em-email_confirm": "neu@example.com"}, "/account/email")
    assert "The two addresses differ" in field_error(differ.get_data(as_text=True),
                                                     "em-email_confirm")
    done = auth.submit("/account", {"em-current_password": ADMIN_PASSWORD,
                                    "em-email": "new@example.com",
                                    "em-email_confirm": "new@example.com"}, "/account/email")
    assert done.location == "/account"
    assert "Your e-mail address is now new@example.com." in text(
        client.get("/account").get_data(as_text=True))
    with app.app_context():
        assert db.session.scalars(select(User.email)).one() == "new@example.com"


def test_an_unknown_user_name_slows_down_like_a_known_one(auth: AuthActions) -> None:
    refusals = []
    for name in ("admin", "nobody"):
        for _ in range(login_throttle.FREE_PER_USER):
            assert "not right" in text(auth.login(name, "wrong password").get_data(as_text=True))
        refused = auth.login(name, "wrong password")
        assert refused.status_code == 429
        refusals.append(text(refused.get_data(as_text=True)))
    # The same sentence either way, so the throttling reveals no user names.
    assert all("Too many failed logins from your address. Try again in" in r for r in refusals)


def test_a_good_login_forgets_earlier_failures(client: FlaskClient, auth: AuthActions) -> None:
    for _ in range(login_throttle.FREE_PER_USER - 1):
        auth.login("admin", "wrong password")
    assert auth.login().location == "/"
    auth.logout()
    for _ in range(login_throttle.FREE_PER_USER - 1):
        auth.login("admin", "wrong password")
    assert auth.login().location == "/"


def test_session_cookies_are_secure_over_https_and_always_httponly_and_samesite(
    client: FlaskClient,
) -> None:
    plain = client.get("/login").headers.get("Set-Cookie", "")
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = client.get("/login", base_url="https://localhost").headers.get("Set-Cookie", "")
    assert "Secure" in secure and "HttpOnly" in secure and "SameSite=Lax" in secure


def test_the_account_pages_need_a_login_but_the_reset_form_does_not(
    client: FlaskClient,
) -> None:
    assert client.get("/account").location == "/login?next=/account"
    assert client.get("/account/reset").status_code == 200
