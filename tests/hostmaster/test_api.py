"""The REST API, driven by a real HTTP client against the app served on a loopback port:
tokens, reading, creating a site and following its install, access per client, the OpenAPI
document (validated), and a schema-driven fuzz run that must find no server error."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from sqlalchemy import event, select
from werkzeug.serving import make_server

from hostmaster.api.openapi import document
from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import (
    Client,
    ClientUser,
    Platform,
    PlatformStatus,
    Site,
    SiteStatus,
    Task,
    User,
    utcnow,
)
from hostmaster.services import api_tokens, tasks, users
from tests.fixtures.app import AuthActions, one_store
from tests.fixtures.platforms import make_drupal7_platform
from tests.fixtures.stack import MariaDBAdmin
from tests.hostmaster.helpers import null_server
from tests.hostmaster.site_helpers import Mailbox, mailbox, use_mailbox
from tests.test_sites import ready

__all__ = ["mailbox"]  # the fixture, imported for pytest


@dataclass
class LiveApi:
    """The app served on 127.0.0.1 and a way to call it as a token's user."""

    url: str

    def call(self, method: str, path: str, token: str | None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers,
                                timeout=30, **kwargs)


@pytest.fixture
def live_api(app: Flask) -> Iterator[LiveApi]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveApi(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join()


def the_admin() -> User:
    """The ``admin`` fixture's account, in this app context's session."""
    return db.session.scalars(select(User).where(User.username == "admin")).one()


def token_of(user: User, name: str = "tests") -> str:
    """A new API token of ``user`` (in an app context)."""
    return api_tokens.create(user, name)[1]


def client_user(name: str) -> tuple[User, Client]:
    """A client and a user with the client role who belongs to it."""
    user = users.create_user(name, f"{name}@example.com", "A-long-password-123", roles=["client"])
    client = Client(name=f"Client {name}", email=f"{name}@example.com", uname=name)
    client.users.append(ClientUser(user=user))
    db.session.add(client)
    db.session.commit()
    return user, client


def site_record(uri: str, platform: Platform, client: Client) -> Site:
    """A site row (no provision: reading needs no real site)."""
    site = Site(uri=uri, platform=platform, client=client, db_server=platform.web_server,
                status=SiteStatus.ENABLED)
    db.session.add(site)
    db.session.commit()
    return site


def test_a_token_is_shown_once_stored_hashed_and_refused_once_revoked(
    app: Flask, client: FlaskClient, auth: AuthActions, admin: User, live_api: LiveApi,
) -> None:
    auth.login()
    page = auth.submit("/api-tokens", {"name": "billing"}).get_data(as_text=True)
    token = page.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("hm_")
    assert token not in client.get("/api-tokens").get_data(as_text=True)  # shown once
    with app.app_context():
        (record,) = api_tokens.tokens_of(the_admin())
        assert token not in (record.token_hash, record.prefix) and record.prefix in token
        record_id = record.id

    assert live_api.call("GET", "/sites", token).json() == {
        "items": [], "total": 0, "limit": 100, "offset": 0}
    assert live_api.call("GET", "/sites", None).status_code == 401
    assert live_api.call("GET", "/sites", token[:-1] + "x").status_code == 401

    assert auth.submit("/api-tokens", {}, post_path=f"/api-tokens/{record_id}/revoke")
    refused = live_api.call("GET", "/sites", token)
    assert refused.status_code == 401 and "A valid API token" in refused.json()["error"]



def test_a_tokens_last_use_is_recorded_to_the_minute_without_a_write_on_every_call(
    app: Flask, admin: User,
) -> None:
    with app.app_context():
        token = token_of(the_admin())
    caller = app.test_client()

    def last_used() -> datetime | None:
        with app.app_context():
            return api_tokens.tokens_of(the_admin())[0].last_used_at

    def call_writes() -> list[str]:
        """Call the API once; the statements that wrote to the store."""
        statements: list[str] = []
        with app.app_context():
            engine = db.engine

        def note(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", note)
        try:
            assert caller.get("/api/v1/sites", headers={"Authorization": f"Bearer {token}"}
                              ).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", note)
        return [statement for statement in statements if statement.startswith("UPDATE")]

    assert last_used() is None
    assert len(call_writes()) == 1
    first = last_used()
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    assert call_writes() == []  # the same minute: nothing written
    assert last_used() == first
    with app.app_context():
        api_tokens.tokens_of(the_admin())[0].last_used_at = first - timedelta(minutes=2)
        db.session.commit()
    assert len(call_writes()) == 1
    later = last_used()
    assert later is not None and later >= first


@one_store
def test_a_site_created_through_the_api_installs_and_is_read_back(
    app: Flask, aegir_root: Path, mariadb_admin: MariaDBAdmin, apache_instance: Any,
    mailbox: Mailbox, admin: User, live_api: LiveApi,
) -> None:
    root = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    with app.app_context():
        use_mailbox(mailbox)
        server_id, platform_id = ready(app, "apache", apache_instance, mariadb_admin, root)
        token = token_of(the_admin())
    refused = live_api.call("POST", "/sites", token, json={
        "uri": "bad domain", "platform_id": platform_id, "db_server_id": server_id})
    assert refused.status_code == 400 and "uri" in refused.json()["fields"]

    created = live_api.call("POST", "/sites", token, json={
        "uri": "api.example.test", "platform_id": platform_id, "db_server_id": server_id,
        "profile": "standard"})
    assert created.status_code == 201, created.text
    site_id, task_id = created.json()["site"]["id"], created.json()["task"]["id"]
    assert created.json()["task"]["type"] == "install"

    status = "queued"
    for _ in range(3):  # the dispatcher's passes, as cron would run them
        with apache_instance.expect_reload():
            dispatch_once(app)
        status = live_api.call("GET", f"/tasks/{task_id}", token).json()["status"]
        if status not in ("queued", "processing"):
            break
    assert status == "success"
    log = live_api.call("GET", f"/tasks/{task_id}/log", token).json()
    assert any("Installed api.example.test" in line["message"] for line in log["lines"])
    site = live_api.call("GET", f"/sites/{site_id}", token).json()
    assert (site["uri"], site["status"], site["platform_id"]) == (
        "api.example.test", "enabled", platform_id)
    assert "<title>api.example.test" in apache_instance.wait_for_body(
        "<title>api.example.test", host="api.example.test")

    queued = live_api.call("POST", f"/sites/{site_id}/tasks", token, json={
        "type": "backup", "arguments": {"description": "From the API"}})
    assert queued.status_code == 202, queued.text
    assert queued.json()["arguments"] == {"description": "From the API"}
    again = live_api.call("POST", f"/sites/{site_id}/tasks", token, json={"type": "backup"})
    assert again.status_code == 409  # the same task is queued already
    dispatch_once(app)
    for task in ("disable", "delete"):
        assert live_api.call("POST", f"/sites/{site_id}/tasks", token,
                             json={"type": task}).status_code == 202
        with apache_instance.expect_reload():
            dispatch_once(app)
    backups = live_api.call("GET", f"/sites/{site_id}/backups", token).json()["items"]
    assert "From the API" in [backup["description"] for backup in backups]
    assert live_api.call("GET", f"/sites/{site_id}", token).json()["status"] == "deleted"


def test_a_token_of_client_a_sees_and_acts_on_client_as_objects_only(
    app: Flask, live_api: LiveApi,
) -> None:
    with app.app_context():
        server = null_server()
        platform = Platform(name="shop", root="/var/aegir/platforms/shop", web_server=server,
                            status=PlatformStatus.ENABLED)
        db.session.add(platform)
        user_a, client_a = client_user("alice")
        user_b, client_b = client_user("bob")
        site_a = site_record("a.example.test", platform, client_a).id
        site_b = site_record("b.example.test", platform, client_b).id
        token_a, token_b = token_of(user_a), token_of(user_b)

    listed = live_api.call("GET", "/sites", token_a).json()
    assert [site["uri"] for site in listed["items"]] == ["a.example.test"]
    assert live_api.call("GET", f"/sites/{site_a}", token_a).status_code == 200
    assert live_api.call("GET", f"/sites/{site_b}", token_a).status_code == 404
    assert live_api.call("GET", f"/sites/{site_a}", token_b).status_code == 404
    assert live_api.call("POST", f"/sites/{site_b}/tasks", token_a,
                         json={"type": "verify"}).status_code == 404
    assert live_api.call("GET", "/servers", token_a).json()["items"] == []  # staff only
    assert [c["name"] for c in live_api.call("GET", "/clients", token_b).json()["items"]] == [
        "Client bob"]


def test_the_openapi_document_is_valid_and_served_without_a_token(live_api: LiveApi) -> None:
    served = live_api.call("GET", "/openapi.json", None)
    assert served.status_code == 200
    validate(served.json())
    assert served.json() == document()


@pytest.fixture
def fuzz_target(app: Flask, admin: User, live_api: LiveApi) -> tuple[str, dict[str, str]]:
    """The live API with a server, a platform and a site (ids 1) to aim at, and an
    administrator's token."""
    with app.app_context():
        server = null_server()
        platform = Platform(name="fuzz", root="/var/aegir/platforms/fuzz", web_server=server,
                            status=PlatformStatus.ENABLED)
        db.session.add(platform)
        _user, client_a = client_user("fuzz")
        site_record("fuzz.example.test", platform, client_a)
        token = token_of(the_admin())
    return f"{live_api.url}/api/v1", {"Authorization": f"Bearer {token}"}


def test_no_generated_request_makes_the_api_answer_with_a_server_error(
    fuzz_target: tuple[str, dict[str, str]],
) -> None:
    """Schemathesis generates requests for every operation from the OpenAPI document (valid
    ones and edge cases: odd types, huge numbers, strange strings); none may get a 5xx."""
    base_url, headers = fuzz_target
    schema = schemathesis.openapi.from_dict(document())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 20
    answered: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case: Any) -> None:
            response = case.call_and_validate(base_url=base_url, headers=headers,
                                              checks=[not_a_server_error])
            answered.append(response.status_code)

        no_server_error()
    # The token worked and the generator reached the objects: not everything was refused.
    assert 200 in answered and 404 in answered and 400 in answered
    assert all(status < 500 for status in answered)


def test_a_migrate_through_the_api_without_a_database_server_keeps_the_sites_own(
    app: Flask, admin: User, live_api: LiveApi,
) -> None:
    """docs/protocol.md calls ``target_db_server`` optional, as the CLI and the dialog do."""
    with app.app_context():
        server = null_server()
        old, new = (Platform(name=name, root=f"/var/aegir/platforms/{name}", web_server=server,
                             status=PlatformStatus.ENABLED, application="drupal")
                    for name in ("old", "new"))
        db.session.add_all([old, new])
        _user, client = client_user("mover")
        site_id, new_id = site_record("move.example.test", old, client).id, new.id
        token = token_of(the_admin())

    for arguments in ({}, {"target_db_server": None}):
        queued = live_api.call("POST", f"/sites/{site_id}/tasks", token, json={
            "type": "migrate", "arguments": {"target_platform": new_id, **arguments}})
        assert queued.status_code == 202, queued.text
        assert queued.json()["arguments"] == {
            "target_platform": new_id, "target_db_server": None, "new_uri": None}
        with app.app_context():
            tasks.cancel(db.session.get(Task, queued.json()["id"]))
