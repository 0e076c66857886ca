"""The doctor in the panel, on both stores: the administrators' page shows each server's last
listing (the dispatcher's part is played by the test, with the result provision returns) and
queues a removal only once confirmed; the doctor's tasks and page are for administrators only;
the records a listing sends provision (``known``) say what the store owns and what tasks may be
making."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from hostmaster.extensions import db
from hostmaster.models import SiteBackup, SiteStatus, Task, TaskStatus
from hostmaster.services import doctor, tasks, users
from tests.fixtures.app import ADMIN_PASSWORD, AuthActions
from tests.hostmaster.pages import text
from tests.hostmaster.site_helpers import finish, master_server, new_site, ready_platform

ORPHAN = {"id": "database:oldshop", "kind": "database", "title": "database",
          "name": "oldshop", "detail": "with a user of the same name, 3 tables, 0.1 MB"}


def listed(app: Flask, orphans: list[dict[str, str]]) -> tuple[int, int]:
    """The master server, and a listing of it that found ``orphans``: their ids."""
    with app.app_context():
        server = master_server()
        for task in db.session.scalars(select(Task)):
            finish(task)  # the server's verify "ran"
        (listing,) = doctor.queue_listings()
        finish(listing, {"server": "@server_master", "orphans": orphans, "skipped": []})
        return server.id, listing.id


def removals(app: Flask) -> list[Task]:
    with app.app_context():
        found = list(db.session.scalars(select(Task).where(Task.type == doctor.REMOVAL)))
        db.session.expunge_all()
        return found


def test_the_page_lists_the_orphans_and_removes_one_only_once_confirmed(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    server_id, _listing = listed(app, [ORPHAN])
    auth.login()
    page = text(client.get("/admin/doctor").get_data(as_text=True))
    assert "oldshop" in page and "with a user of the same name" in page
    confirm = f"/admin/doctor/remove?server_id={server_id}&orphan=database:oldshop"
    question = text(client.get(confirm).get_data(as_text=True))
    assert "Remove the database oldshop from" in question and "cannot be undone" in question
    assert removals(app) == []  # opening the question removes nothing
    form = {"server_id": str(server_id), "orphan": "database:oldshop"}
    response = auth.submit(confirm, form)
    assert response.status_code == 302
    (removal,) = removals(app)
    assert removal.arguments == {"orphan": "database:oldshop"}
    assert removal.entity_kind == "server" and removal.entity_id == server_id
    again = auth.submit(confirm, form)  # a second click while it is queued
    assert "already queued" in text(client.get(again.location).get_data(as_text=True))
    assert len(removals(app)) == 1
    with app.app_context():
        finish(db.session.get_one(Task, removal.id), {"removed": ORPHAN})
    page = text(client.get("/admin/doctor").get_data(as_text=True))
    assert "oldshop" not in page and "No orphans" in page


def test_an_orphan_missing_from_the_last_listing_is_refused(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    server_id, _listing = listed(app, [ORPHAN])
    auth.login()
    path = f"/admin/doctor/remove?server_id={server_id}&orphan=database:mysql"
    response = auth.submit(f"/admin/doctor/remove?server_id={server_id}&orphan=database:oldshop",
                           {"server_id": str(server_id), "orphan": "database:mysql"},
                           post_path=path)
    assert response.status_code == 302
    assert "not in the last listing" in text(client.get(response.location).get_data(as_text=True))
    assert removals(app) == []


def test_the_doctor_and_its_tasks_are_for_administrators_only(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    _server_id, listing_id = listed(app, [ORPHAN])
    with app.app_context():
        users.create_user("pm", "pm@example.com", ADMIN_PASSWORD, roles=["platform manager"])
    auth.login("pm")
    assert client.get("/admin/doctor").status_code == 404
    assert client.get(f"/tasks/{listing_id}").status_code == 404
    assert f"/tasks/{listing_id}" not in client.get("/tasks").get_data(as_text=True)
    assert client.post("/admin/doctor/list", data={
        "csrf_token": auth.csrf_token("/")}).status_code == 404
    auth.logout()
    auth.login()
    assert client.get(f"/tasks/{listing_id}").status_code == 200
    assert f"/tasks/{listing_id}" in client.get("/tasks").get_data(as_text=True)


def test_a_listing_sends_what_the_records_own_and_what_tasks_may_be_making(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        live = new_site(platform, server, "live.example.com")
        finish(db.session.scalars(select(Task).where(Task.entity_kind == "site",
                                                     Task.entity_id == live.id)).one(),
               {"db_name": "liveexamplecom"})
        gone = new_site(platform, server, "gone.example.com")
        finish(db.session.scalars(select(Task).where(Task.entity_kind == "site",
                                                     Task.entity_id == gone.id)).one(),
               {"db_name": "goneexamplecom"})
        gone.status = SiteStatus.DELETED
        busy = new_site(platform, server, "busy.example.com")  # its install is queued
        db.session.add(SiteBackup(site_id=live.id, filename="/var/aegir/backups/live.tar.gz"))
        clone = tasks.queue(live, "clone", {"new_uri": "copy.example.com",
                                            "target_platform": platform.id})
        for task in db.session.scalars(select(Task).where(Task.entity_kind != "site")):
            finish(task)
        (listing,) = doctor.queue_listings()
        known: dict[str, Any] = doctor.known_records(listing)
        assert {s["uri"] for s in known["sites"]} == {"live.example.com", "busy.example.com"}
        assert {"uri": "live.example.com", "db_name": "liveexamplecom",
                "platform": "@platform_drupal7"} in known["sites"]
        assert known["platforms"] == [{"name": "@platform_drupal7", "root": platform.root,
                                       "web_server": "@server_master"}]
        assert known["former_databases"] == ["goneexamplecom"]
        assert "@live.example.com" in known["contexts"] and "@server_master" in known["contexts"]
        assert known["backups"] == ["/var/aegir/backups/live.tar.gz"]
        assert set(known["busy_uris"]) == {"busy.example.com", "copy.example.com",
                                           "live.example.com"}
        assert busy.uri in known["busy_uris"] and clone.id
        store = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        if store.get_backend_name() == "mysql":
            assert known["keep_databases"] == [store.database]
        else:
            assert known["keep_databases"] == []
        assert isinstance(known["busy_since"], float)
        assert db.session.get_one(Task, listing.id).status == TaskStatus.QUEUED
