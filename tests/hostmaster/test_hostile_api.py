"""The hostile corpus through the REST API: every field of a new site, every argument of every
task a server, platform or site offers, ids, paging and headers, as strings and as every JSON
type. Never a server error; what is stored is harmless (tests/hostmaster/hostile_store.py).
Every kind of attack on both stores, the rest of the corpus on MariaDB (``on_mariadb``)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostmaster.models import User
from hostmaster.tasks import registry
from tests.fixtures.hostile import FEW, HOSTILE, Tally, on_mariadb
from tests.hostmaster.hostile_store import stored_harm
from tests.hostmaster.hostile_world import World, make_world

#: JSON values of every type, for fields that expect a string, a number or a list.
JSON_VALUES: list[Any] = [
    None, True, False, 0, -1, 2**31, 2**63, 2**80, -(2**63), 1.5, 1e308, "", [], {},
    ["a\nb"], [2**80], {"a": "b"}, [[1]], [None], ["../../x"] * 50,
]
COLLECTIONS = {"server": "servers", "platform": "platforms", "site": "sites"}


@pytest.fixture
def world(app: Flask, admin: User, aegir_root: Path) -> World:
    """The store the API works on, and the admin's token."""
    with app.app_context():
        return make_world(aegir_root)


def call(client: FlaskClient, world: World, method: str, path: str, **kwargs: Any) -> Any:
    return client.open(f"/api/v1{path}", method=method,
                       headers={"Authorization": f"Bearer {world.token}"}, **kwargs)


def count(tally: Tally, where: str, value: object, status: int) -> None:
    """A request is harmful only by a server error; a 201 or 202 stored something."""
    if status >= 500:
        tally.harm(where, value, f"HTTP {status}")
    elif status in (201, 202):
        tally.stored_one()
    else:
        tally.refused_one()


def test_a_new_site_through_the_api_refuses_hostile_fields_or_stores_them_harmless(
    app: Flask, client: FlaskClient, world: World, hostile_tally: Tally
) -> None:
    fresh = itertools.count(1)
    ids = world.ids
    keys = ("uri", "aliases", "platform_id", "client_id", "db_server_id", "profile",
            "language", "redirect_aliases")
    for index, key in enumerate(keys):
        # The whole corpus for the domain, each kind of attack for every other field.
        spread = {"uri": HOSTILE, "aliases": HOSTILE[::2]}.get(key, HOSTILE[index::len(keys)])
        for value in [*on_mariadb(app, spread), *FEW, *JSON_VALUES]:
            body = {"uri": f"api{next(fresh)}.example.com", "platform_id": ids["platform"],
                    "db_server_id": ids["master"], key: value}
            if key in ("aliases", "redirect_aliases") and isinstance(value, str):
                body[key] = [value]
            response = call(client, world, "POST", "/sites", json=body)
            count(hostile_tally, f"POST /sites {key}", value, response.status_code)

    with app.app_context():
        for harm in stored_harm():
            hostile_tally.harm("the store after the API", "", harm)
    assert hostile_tally.harmful == []


def test_every_task_through_the_api_refuses_hostile_arguments(
    app: Flask, client: FlaskClient, world: World, hostile_tally: Tally
) -> None:
    with app.app_context():
        offered = [(kind, entity_id, task_type.name, task_type.form,
                    sorted(set(task_type.form(meta={"csrf": False})._fields) - {"csrf_token",
                                                                                "submit"})
                    if task_type.form is not None else [])
                   for kind, entity_id in world.entities
                   for task_type in registry.types_for(kind)]
    spread = itertools.cycle(HOSTILE)
    tried_forms: set[object] = set()
    for kind, entity_id, type_name, form, arguments in offered:
        path = f"/{COLLECTIONS[kind]}/{entity_id}/tasks"
        # Each argument of each form gets every kind of attack, JSON of every type and its
        # share of the corpus; another task with the same form, one attack per argument.
        whole = form not in tried_forms
        tried_forms.add(form)
        for name in [*arguments, "a\nb"]:
            share = [next(spread) for _ in range(len(HOSTILE) // 20)] if whole else []
            share = on_mariadb(app, share)
            for value in [*FEW, *share, *JSON_VALUES] if whole else FEW[::5]:
                body = {"type": type_name, "arguments": {name: value}}
                response = call(client, world, "POST", path, json=body)
                count(hostile_tally, f"POST {path} {type_name} {name}", value,
                      response.status_code)
        for value in JSON_VALUES[::2]:
            response = call(client, world, "POST", path,
                            json={"type": type_name, "arguments": value})
            count(hostile_tally, f"POST {path} {type_name} arguments", value,
                  response.status_code)
    for value in [*FEW, *JSON_VALUES]:
        for body in ({"type": value}, value):
            response = call(client, world, "POST", f"/sites/{world.ids['site']}/tasks",
                            json=body)
            count(hostile_tally, "POST /sites/ID/tasks body", body, response.status_code)

    with app.app_context():
        for harm in stored_harm():
            hostile_tally.harm("the store after the API's tasks", "", harm)
    assert hostile_tally.harmful == []


def test_hostile_ids_paging_bodies_and_tokens_answer_without_a_server_error(
    app: Flask, client: FlaskClient, world: World, hostile_tally: Tally
) -> None:
    for value in [*FEW, *on_mariadb(app, HOSTILE[::5]), "99999999999999999999", "2147483648",
                  "0", "-1"]:
        segment = quote(value, safe="")
        if segment in ("", "."):
            continue
        for path in (f"/sites/{segment}", f"/tasks/{segment}/log", f"/sites/{segment}/backups",
                     f"/clients/{segment}", f"/{segment}"):
            count(hostile_tally, f"GET {path}", value,
                  call(client, world, "GET", path).status_code)
        for parameter in ("limit", "offset", "status"):
            response = call(client, world, "GET", "/tasks", query_string={parameter: value})
            count(hostile_tally, f"GET /tasks?{parameter}=", value, response.status_code)
        response = call(client, world, "GET", f"/tasks/{world.ids['done']}/log",
                        query_string={"after": value})
        count(hostile_tally, "GET /tasks/ID/log?after=", value, response.status_code)
        if "\n" not in value and "\r" not in value:  # no HTTP client sends those in a header
            response = client.get("/api/v1/sites",
                                  headers={"Authorization": f"Bearer {value}"})
            count(hostile_tally, "Authorization: Bearer", value, response.status_code)
    for body in (b"{", b"[]", b"null", b'"x"', b"\x00\xff", b"{" * 10_000, b"1e999"):
        response = call(client, world, "POST", "/sites", data=body,
                        content_type="application/json")
        count(hostile_tally, "POST /sites raw body", body[:20], response.status_code)

    assert hostile_tally.harmful == []
