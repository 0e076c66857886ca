"""Sessions that end and logins that slow down, through real HTTP: the app on a loopback
port, browsers with real cookies at their own addresses in 127.0.0.0/8.

The adversary: someone holding a copy of a session cookie, and a stranger guessing
passwords for ``admin`` from one address (directly, or behind the panel's proxy).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import RateEvent, User
from hostmaster.services import login_throttle
from tests.fixtures.app import ADMIN_PASSWORD, make_app
from tests.fixtures.live_server import Browser, self_signed_certificate, serving

NEW_PASSWORD = "a brand new long password"


@pytest.fixture
def panel(app: Flask, admin: User) -> Iterator[str]:
    """The app (on SQLite or MariaDB, with the admin account) served on a loopback port."""
    with serving(app) as url:
        yield url


@pytest.fixture
def proxied_app(app: Flask) -> Iterator[Flask]:
    """The same store served as behind one reverse proxy (HOSTMASTER_PROXY_COUNT=1)."""
    behind = make_app(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.config["AEGIR_ROOT"]),
                      PROXY_COUNT=1)
    yield behind
    with behind.app_context():
        db.session.remove()
        db.engine.dispose()


def let_time_pass(app: Flask, seconds: float) -> None:
    """Move every counted login failure ``seconds`` into the past."""
    with app.app_context():  # in Python: SQLite has no arithmetic on its time strings
        for event in db.session.scalars(select(RateEvent)):
            event.created_at -= timedelta(seconds=seconds)
        db.session.commit()


def refused_for(answer: object) -> int:
    """The seconds a refused login says to wait (its Retry-After header)."""
    assert getattr(answer, "status_code", None) == 429, getattr(answer, "text", answer)
    return int(answer.headers["Retry-After"])  # type: ignore[attr-defined]


def test_logging_out_ends_a_copied_session_cookie_too(panel: str) -> None:
    mine, thief = Browser(panel, "127.0.0.2"), Browser(panel, "127.0.0.3")
    assert mine.login().headers["Location"] == "/"
    thief.use_session_cookie(mine.session_cookie())
    assert thief.is_logged_in()  # the copy works while the session lives
    mine.logout()
    assert not mine.is_logged_in()
    assert not thief.is_logged_in()


def test_logging_out_in_one_browser_ends_the_sessions_of_the_others(panel: str) -> None:
    office, home = Browser(panel, "127.0.0.2"), Browser(panel, "127.0.0.3")
    office.login()
    home.login()
    home.logout()
    assert not office.is_logged_in()


def test_a_password_change_ends_every_other_session_and_keeps_this_one(panel: str) -> None:
    here, elsewhere = Browser(panel, "127.0.0.2"), Browser(panel, "127.0.0.3")
    here.login()
    elsewhere.login()
    before = here.session_cookie()
    changed = here.submit("/account", {"pw-current_password": ADMIN_PASSWORD,
                                       "pw-password": NEW_PASSWORD,
                                       "pw-password_confirm": NEW_PASSWORD}, "/account/password")
    assert changed.headers["Location"] == "/account"
    assert here.is_logged_in()
    assert here.session_cookie() != before  # a fresh cookie, with the new session token
    assert not elsewhere.is_logged_in()
    stale = Browser(panel, "127.0.0.4")
    stale.use_session_cookie(before)
    assert not stale.is_logged_in()
    assert elsewhere.login(password=NEW_PASSWORD).headers["Location"] == "/"


def test_a_stranger_failing_twenty_times_does_not_keep_the_admin_out(
    app: Flask, panel: str
) -> None:
    stranger, me = Browser(panel, "127.0.0.2"), Browser(panel, "127.0.0.3")
    answers = [stranger.login("admin", f"guess {n}") for n in range(20)]
    assert all("not right" in a.text for a in answers[:login_throttle.FREE_PER_USER])
    assert any(a.status_code == 429 for a in answers)  # the stranger was slowed down ...
    assert me.login().headers["Location"] == "/"  # ... and the admin gets in at once
    assert me.is_logged_in()


def test_failures_from_one_address_double_its_wait_and_refuse_even_the_right_password(
    app: Flask, panel: str
) -> None:
    guesser = Browser(panel, "127.0.0.2")
    for n in range(login_throttle.FREE_PER_USER):
        assert "not right" in guesser.login("admin", f"guess {n}").text
    first = guesser.login("admin", ADMIN_PASSWORD)  # right, but not looked at while waiting
    assert refused_for(first) in (1, 2)
    assert "Too many failed logins from your address. Try again in" in first.text
    let_time_pass(app, 2)
    assert "not right" in guesser.login("admin", "one more guess").text
    assert refused_for(guesser.login("admin", "and another")) in (3, 4)
    let_time_pass(app, 4)
    assert "not right" in guesser.login("admin", "yet another").text
    assert refused_for(guesser.login("admin", "again")) in (7, 8)
    let_time_pass(app, 8)
    assert guesser.login("admin", ADMIN_PASSWORD).headers["Location"] == "/"


def test_one_address_trying_many_user_names_is_slowed_down_but_not_the_others(
    app: Flask, panel: str
) -> None:
    guesser, me = Browser(panel, "127.0.0.2"), Browser(panel, "127.0.0.3")
    for n in range(login_throttle.FREE_PER_ADDRESS):
        assert "not right" in guesser.login(f"user{n}", "guess").text
    assert refused_for(guesser.login("someone-else", "guess")) in (1, 2)
    assert me.login().headers["Location"] == "/"


def test_x_forwarded_for_is_not_believed_without_a_configured_proxy(panel: str) -> None:
    guesser = Browser(panel, "127.0.0.2")
    for n in range(login_throttle.FREE_PER_USER):
        guesser.login("admin", "guess", headers={"X-Forwarded-For": f"198.51.100.{n}"})
    dodge = guesser.login("admin", "guess", headers={"X-Forwarded-For": "198.51.100.99"})
    assert refused_for(dodge) in (1, 2)


def test_behind_a_configured_proxy_each_forwarded_address_is_throttled_on_its_own(
    proxied_app: Flask, admin: User
) -> None:
    with serving(proxied_app) as url:
        proxy = Browser(url)  # every request comes from the proxy's own address
        stranger = {"X-Forwarded-For": "198.51.100.7"}
        for n in range(login_throttle.FREE_PER_USER):
            proxy.login("admin", f"guess {n}", headers=stranger)
        assert refused_for(proxy.login("admin", ADMIN_PASSWORD, headers=stranger)) in (1, 2)
        welcome = proxy.login(headers={"X-Forwarded-For": "198.51.100.8"})
        assert welcome.headers["Location"] == "/"


def test_behind_a_proxy_that_says_https_cookies_are_secure_and_hsts_is_sent(
    proxied_app: Flask, admin: User
) -> None:
    with serving(proxied_app) as url:
        browser = Browser(url)
        secure = browser.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
        cookie = secure.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        plain = browser.get("/login")
        assert "Strict-Transport-Security" not in plain.headers
        assert "Secure" not in plain.headers["Set-Cookie"]


def test_without_a_configured_proxy_x_forwarded_proto_changes_nothing(panel: str) -> None:
    answer = Browser(panel).get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in answer.headers
    assert "Secure" not in answer.headers["Set-Cookie"]


def test_served_over_https_cookies_are_secure_and_hsts_is_sent(
    app: Flask, admin: User, tmp_path: Path
) -> None:
    certificate = self_signed_certificate(tmp_path)
    with serving(app, certificate) as url:
        browser = Browser(url, verify=certificate[0])
        login = browser.login()
        assert login.headers["Location"] == "/"
        assert login.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "Secure" in login.headers["Set-Cookie"]
        assert browser.is_logged_in()  # the Secure cookie goes back over HTTPS
