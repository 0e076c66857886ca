"""The hostile corpus through every form of the panel (found through ``app.url_map``: every
page is fetched and every form on it is filled), the sign-up form, route variables and query
strings: never a server error; each value refused with a message, or stored normalised and
harmless, which means every server, platform and site in the store is one provision itself
accepts, unchanged, and no stored text holds a control character. Every kind of attack goes
to every field on both stores, the rest of the corpus on MariaDB (``on_mariadb``)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from hostmaster.extensions import db
from hostmaster.models import User
from hostmaster.services import settings
from tests.fixtures.app import AuthActions
from tests.fixtures.hostile import FEW, HOSTILE, Tally, on_mariadb
from tests.hostmaster.form_crawl import Form, build_paths, forms_of, get_rules, post_rules
from tests.hostmaster.hostile_store import stored_harm
from tests.hostmaster.hostile_world import World, entity_ids, make_world, task_routes

#: Forms with nothing to type (a button): their hostile input is the route's variables.
BUTTONS_ONLY = {"auth.logout", "tasks.run", "tasks.cancel", "tasks.retry", "tasks.update_status",
                "tasks.dispatch_switch", "clients.delete", "api_tokens.revoke"}
#: The payloads without their shaped variants: every one goes through every form.
PLAIN = [value for value in HOSTILE if not value.startswith(("www.", "/var/aegir/", "apache2"))]


@pytest.fixture
def world(app: Flask, admin: User, aegir_root: Path) -> World:
    """The store the forms work on."""
    with app.app_context():
        return make_world(aegir_root)


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    """A visitor who is not logged in (the login, sign-up and password forms are theirs)."""
    return app.test_client()


class Fresh:
    """Good values for the fields a form needs besides the one tried, new each time (so a
    value that is accepted never collides with the one before)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.count = itertools.count(1)

    def values(self, endpoint: str) -> dict[str, str]:
        n = next(self.count)
        ids = {key: str(value) for key, value in self.world.ids.items()}
        platforms = f"{self.world.aegir_root}/platforms"
        return {
            "sites.add": {"uri": f"good{n}.example.com", "platform": ids["platform"],
                          "db_server": ids["master"], "language": "en"},
            "platforms.add": {"name": f"good{n}", "root": f"{platforms}/good{n}",
                              "web_server": ids["master"]},
            "servers.add": {"hostname": f"good{n}.example.com", "http_type": "apache",
                            "db_type": "mysql", "db_user": "admin"},
            "clients.add": {"name": f"Good {n}", "email": f"good{n}@example.com",
                            "email_confirm": f"good{n}@example.com"},
            "signup.form": {"name": f"Good {n}", "email": f"good{n}@example.com",
                            "uri": f"signup{n}.example.com", "platform": ids["platform"],
                            "profile": "standard"},
            "platform_migrate.confirm": {"target_platform": ids["target"]},
        }.get(endpoint, {})


def crawl(app: Flask, clients: dict[str, FlaskClient], world: World,
          tally: Tally) -> dict[str, tuple[str, Form]]:
    """Every post form on every page each client can fetch, by the endpoint it posts to."""
    found: dict[str, tuple[str, Form]] = {}
    adapter = app.url_map.bind("localhost")
    with app.app_context():
        routes = task_routes(world)
    for who, client in clients.items():
        for rule in get_rules(app):
            if rule.endpoint in ("tasks.log_events", "public.disabled"):
                continue  # a stream, and a page with no form
            if {"kind", "type_name"} <= set(rule.arguments):
                paths = [adapter.build(rule.endpoint, values) for values in routes]
            else:
                variables = {**world.route_values, "entity_id": entity_ids(world, rule.endpoint)}
                paths = build_paths(app, rule, variables)
            if rule.endpoint == "doctor.remove":
                paths = world.pages
            for path in paths:
                response = client.get(path)
                if response.status_code >= 500:
                    tally.harm(f"GET {path}", "", f"HTTP {response.status_code}")
                if response.status_code != 200 or "html" not in response.content_type:
                    continue
                for form in forms_of(response.get_data(as_text=True), path):
                    endpoint = adapter.match(form.action, method="POST")[0]
                    found.setdefault(endpoint, (who, form))
    return found


#: Each form takes every SAMPLE-th plain payload, from its own starting point, so the forms
#: together take every payload several times.
SAMPLE = 4


def values_for(app: Flask, form: Form, form_index: int, field_index: int) -> list[str]:
    """The fewest attacks (each kind once) on every field, and (on MariaDB) the form's sample
    of the plain payloads spread over its fields."""
    sample = PLAIN[form_index % SAMPLE::SAMPLE]
    return [*FEW, *on_mariadb(app, sample[field_index::len(form.typed_fields())])]


def test_every_form_refuses_hostile_values_or_stores_them_harmless(
    app: Flask, client: FlaskClient, auth: AuthActions, anonymous: FlaskClient, world: World,
    hostile_tally: Tally,
) -> None:
    auth.login()
    clients = {"admin": client, "visitor": anonymous}
    forms = crawl(app, clients, world, hostile_tally)
    fresh = Fresh(world)

    for form_index, (endpoint, (who, form)) in enumerate(sorted(forms.items())):
        for index, target in enumerate(form.typed_fields()):
            for value in values_for(app, form, form_index, index):
                data = MultiDict(form.sent())
                for name, good in fresh.values(endpoint).items():
                    if name != target.name:
                        data.setlist(name, [good])
                if target.repeated:
                    data.add(target.name, value)  # one more box checked: the others stay
                else:
                    data.setlist(target.name, [value])
                response = clients[who].post(form.action, data=data)
                where = f"{endpoint} field {target.name}"
                if response.status_code >= 500:
                    hostile_tally.harm(where, value, f"HTTP {response.status_code}")
                elif response.status_code in (301, 302, 303):
                    hostile_tally.stored_one()
                else:
                    hostile_tally.refused_one()

    with app.app_context():
        for harm in stored_harm():
            hostile_tally.harm("the store after the forms", "", harm)
    missing = {rule.endpoint for rule in post_rules(app)} - set(forms) - BUTTONS_ONLY
    assert missing == set(), "forms the crawl did not find: fill them here too"
    assert hostile_tally.harmful == []


def test_hostile_route_variables_and_query_strings_answer_without_a_server_error(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World, hostile_tally: Tally,
) -> None:
    auth.login()
    token = auth.csrf_token("/")
    every = {rule.rule: rule for rule in [*get_rules(app), *post_rules(app)]}
    rules = [rule for rule in every.values() if rule.arguments
             and rule.endpoint != "tasks.log_events" and not rule.rule.startswith("/api/")]
    for index, rule in enumerate(sorted(rules, key=lambda rule: rule.rule)):
        # Each kind of attack in every route; the plain payloads spread over the routes.
        for value in [*FEW, *on_mariadb(app, PLAIN[index::len(rules)])]:
            segment = quote(value, safe="") if value not in ("", ".") else "x"
            path = re.sub(r"<[^>]+>", segment.replace("\\", "\\\\"), rule.rule)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                response = client.open(path, method=method, data={"csrf_token": token})
                status = response.status_code
                if rule.endpoint == "public.disabled" and status == 503:
                    status = 200  # the "site disabled" page says 503 on purpose
                check(hostile_tally, f"{method} {rule.rule}", value, status)
    for page, parameter in (("/sites", "q"), ("/sites", "status"), ("/sites", "client"),
                            ("/sites", "platform"), ("/sites", "sort"), ("/sites", "page"),
                            ("/platforms", "server"), ("/tasks", "entity"), ("/tasks", "q"),
                            ("/tasks", "status"), ("/tasks", "page"),
                            (f"/sites/{world.ids['site']}/packages", "kind"),
                            (f"/tasks/{world.ids['done']}/log.json", "after")):
        for value in [*FEW, *on_mariadb(app, PLAIN[len(parameter)::7])]:
            response = client.get(page, query_string={parameter: value, "kind": "site"})
            check(hostile_tally, f"GET {page}?{parameter}=", value, response.status_code)

    assert hostile_tally.harmful == []


def check(tally: Tally, where: str, value: str, status: int) -> None:
    """Count a request whose only possible harm is a server error."""
    if status >= 500:
        tally.harm(where, value, f"HTTP {status}")
    else:
        tally.refused_one()


@pytest.fixture(autouse=True)
def _no_stray_mail(app: Flask) -> Iterator[None]:
    """Mails the forms send (sign-up, new client) go to a closed port: they fail quickly."""
    with app.app_context():
        settings.put("smtp_host", "127.0.0.1")
        settings.put("smtp_port", 9)
        db.session.commit()
    yield
