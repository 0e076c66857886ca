"""Requests that race for the same name, sent at the same moment by real threads to the app
served on a loopback port (SQLite and MariaDB): sign-ups, new clients and new sites. Never a
server error: a name the panel chose gets the next free suffix, a name someone typed is won
by one request and the others are told so beside the field."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from hostmaster.extensions import db
from hostmaster.models import Client, ContextName, Site, User
from hostmaster.services import settings
from tests.fixtures.app import ADMIN_PASSWORD
from tests.hostmaster.hostile_world import World, make_world
from tests.hostmaster.pages import text

RACERS = 8
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_ERRORS = re.compile(
    r'<(?:ul class="field-errors"|div class="form-errors")[^>]*>(.*?)</(?:ul|div)>', re.S)


@pytest.fixture
def live(app: Flask, admin: User, aegir_root: Path) -> Iterator[tuple[str, World]]:
    """The app on a free loopback port (a thread per request), with a world to work in."""
    with app.app_context():
        world = make_world(aegir_root)
        settings.put("smtp_host", "127.0.0.1")
        settings.put("smtp_port", 9)  # mails fail at once: no SMTP server listens there
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", world
    finally:
        server.shutdown()
        thread.join()


def browser(url: str, *, logged_in: bool) -> requests.Session:
    """A session of its own, logged in as the admin when asked."""
    session = requests.Session()
    if logged_in:
        token = csrf(session, f"{url}/login")
        session.post(f"{url}/login", data={"username": "admin", "password": ADMIN_PASSWORD,
                                           "csrf_token": token}, timeout=60)
    return session


def csrf(session: requests.Session, page: str) -> str:
    match = _CSRF.search(session.get(page, timeout=60).text)
    assert match, f"no form on {page}"
    return match.group(1)


def race(url: str, path: str, forms: list[dict[str, str]], *, logged_in: bool
         ) -> list[requests.Response]:
    """Send each form from its own browser, all released at the same moment."""
    sessions = [browser(url, logged_in=logged_in) for _ in forms]
    tokens = [csrf(session, f"{url}{path}") for session in sessions]
    start = threading.Barrier(len(forms))

    def send(index: int) -> requests.Response:
        start.wait()
        return sessions[index].post(f"{url}{path}", timeout=120, allow_redirects=False,
                                    data={**forms[index], "csrf_token": tokens[index]})

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(send, range(len(forms))))


def counted(app: Flask, query: Callable[[], Any]) -> Any:
    with app.app_context():
        return db.session.scalar(query())


def messages(responses: list[requests.Response]) -> list[str]:
    """The messages shown on each page that came back with the form (above it, beside its
    fields)."""
    return [" ".join(text(found) for found in _ERRORS.findall(r.text))
            for r in responses if r.status_code == 200]


def test_sign_ups_racing_for_one_name_all_succeed_with_free_short_and_user_names(
    app: Flask, live: tuple[str, World]
) -> None:
    url, world = live
    forms = [{"name": "Jane Doe", "email": "jane@example.com", "uri": f"jane{n}.example.com",
              "platform": str(world.ids["platform"]), "profile": "standard"}
             for n in range(RACERS)]

    responses = race(url, "/signup", forms, logged_in=False)

    assert [r.status_code for r in responses] == [200] * RACERS
    assert all("Thank you" in r.text or "is being installed" in r.text for r in responses), (
        messages(responses))
    unames = counted(app, lambda: select(func.count(func.distinct(Client.uname)))
                     .where(Client.name == "Jane Doe"))
    people = counted(app, lambda: select(func.count(func.distinct(User.username)))
                     .where(User.email == "jane@example.com"))
    assert (unames, people) == (RACERS, RACERS)


def test_sign_ups_racing_for_one_domain_make_one_site_and_tell_the_others(
    app: Flask, live: tuple[str, World]
) -> None:
    url, world = live
    forms = [{"name": f"Racer {n}", "email": f"racer{n}@example.com", "uri": "race.example.com",
              "platform": str(world.ids["platform"]), "profile": "standard"}
             for n in range(RACERS)]

    responses = race(url, "/signup", forms, logged_in=False)

    assert all(r.status_code == 200 for r in responses)
    refused = [m for m in messages(responses) if m]
    assert len(refused) == RACERS - 1
    assert all("race.example.com" in m and ("already used" in m or "taken" in m)
               for m in refused), refused
    assert counted(app, lambda: select(func.count()).select_from(Site)
                   .where(Site.uri == "race.example.com")) == 1
    assert counted(app, lambda: select(func.count()).select_from(Client)
                   .where(Client.name.like("Racer %"))) == 1


def test_clients_created_at_once_with_one_name_get_free_short_names(
    app: Flask, live: tuple[str, World]
) -> None:
    url, _world = live
    forms = [{"name": "Same Name Ltd", "email": f"same{n}@example.com",
              "email_confirm": f"same{n}@example.com", "uname": "", "usernames": ""}
             for n in range(RACERS)]

    responses = race(url, "/clients/add", forms, logged_in=True)

    assert [r.status_code for r in responses] == [302] * RACERS, messages(responses)
    assert counted(app, lambda: select(func.count(func.distinct(Client.uname)))
                   .where(Client.name == "Same Name Ltd")) == RACERS


def test_clients_racing_for_one_typed_short_name_get_it_once(
    app: Flask, live: tuple[str, World]
) -> None:
    url, _world = live
    forms = [{"name": f"Typed {n}", "email": f"typed{n}@example.com",
              "email_confirm": f"typed{n}@example.com", "uname": "typed", "usernames": ""}
             for n in range(RACERS)]

    responses = race(url, "/clients/add", forms, logged_in=True)

    assert all(r.status_code in (200, 302) for r in responses)
    assert sum(r.status_code == 302 for r in responses) == 1
    assert all("typed" in m and "taken" in m for m in messages(responses)), messages(responses)


def test_sites_created_at_once_with_one_domain_make_one_site(
    app: Flask, live: tuple[str, World]
) -> None:
    url, world = live
    forms = [{"uri": "same.example.com", "platform": str(world.ids["platform"]),
              "db_server": str(world.ids["master"]), "language": "en", "profile": "",
              "client": str(world.ids["client"]), "aliases": ""} for _ in range(RACERS)]

    responses = race(url, "/sites/add", forms, logged_in=True)

    assert all(r.status_code in (200, 302) for r in responses)
    assert sum(r.status_code == 302 for r in responses) == 1
    assert all("same.example.com" in m for m in messages(responses)), messages(responses)
    assert counted(app, lambda: select(func.count()).select_from(ContextName)
                   .where(ContextName.name == "same.example.com")) == 1
