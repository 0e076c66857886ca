"""The noun commands in the app's process, on SQLite and MariaDB: ``--json`` answers are the
REST API's objects, names and ids both find things, and each command goes through the same
service and checks as the panel (its sentences, refused with exit code 1)."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Client, Platform, PlatformStatus, Site, Task, TaskStatus, User
from hostmaster.services import api_tokens, site_results, tasks
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform


def invoke(runner: Any, *words: str, code: int = 0, input: str | None = None) -> Any:
    """Run a command; check its exit code; its output (parsed when it is JSON)."""
    result = runner.invoke(args=list(words), input=input)
    assert result.exit_code == code, (words, result.output, result.exception)
    return json.loads(result.stdout) if "--json" in words else result.output


def api(client: FlaskClient, path: str) -> Any:
    """GET an API path as the administrator ``admin``, with a fresh token."""
    user = db.session.scalars(select(User).where(User.username == "admin")).one()
    _row, token = api_tokens.create(user, "cli-test")
    answer = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_json_answers_are_the_rest_apis_objects(app: Flask, runner: Any, client: FlaskClient,
                                                admin: User) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        site_id, platform_id, server_id = site.id, site.platform_id, server.id
        install = db.session.scalars(select(Task).where(Task.type == "install")).one()
        tasks.add_log(install, "info", "a line")
        db.session.commit()
        install_id = install.id
        default = db.session.scalars(select(Client).where(Client.uname == "default")).one()
        pairs = [
            (("site", "show", "www.example.com"), f"/sites/{site_id}"),
            (("site", "show", str(site_id)), f"/sites/{site_id}"),
            (("platform", "show", "drupal7"), f"/platforms/{platform_id}"),
            (("server", "show", "master.example.com"), f"/servers/{server_id}"),
            (("server", "show", "@server_master"), f"/servers/{server_id}"),
            (("task", "show", str(install_id)), f"/tasks/{install_id}"),
            (("task", "log", str(install_id)), f"/tasks/{install_id}/log"),
            (("client", "show", "default"), f"/clients/{default.id}"),
        ]
        for words, path in pairs:
            assert invoke(runner, *words, "--json") == api(client, path), words
        listed = invoke(runner, "site", "list", "--json")
        from_api = api(client, "/sites")
        assert listed["items"] == from_api["items"] and listed["total"] == from_api["total"]
        tasks_listed = invoke(runner, "task", "list", "--json", "--limit", "500")
        assert sorted(tasks_listed["items"], key=lambda t: t["id"]) == api(
            client, "/tasks")["items"]


def test_site_add_refuses_what_the_panel_refuses_naming_the_options(
        app: Flask, runner: Any) -> None:
    with app.app_context():
        server = master_server()
        ready_platform(server, "locked", status=PlatformStatus.LOCKED)
        said = invoke(runner, "site", "add", "shop.example.com", "--platform", "locked",
                      "--json", code=1)
        assert said["error"] == (
            "--platform: Choose an enabled platform (locked platforms take no new sites). "
            "--db-server: Choose the database server that will hold the site's database.")
        assert set(said["fields"]) == {"platform", "db_server"}
        assert db.session.scalar(select(Site)) is None


def test_site_add_edit_and_the_tasks_a_site_offers(app: Flask, runner: Any) -> None:
    with app.app_context():
        server = master_server()
        ready_platform(server)
        made = invoke(runner, "site", "add", "shop.example.com", "--platform", "drupal7",
                      "--db-server", "master.example.com", "--alias", "example.com",
                      "--redirect-alias", "old.example.com", "--json")
        assert made["site"]["aliases"] == ["example.com"]
        assert made["site"]["redirect_aliases"] == ["old.example.com"]
        assert (made["task"]["type"], made["task"]["status"]) == ("install", "queued")
        site = db.session.scalars(select(Site)).one()
        finish_install(site)
        invoke(runner, "client", "add", "Jane Doe", "--email", "jane@example.com")
        twice = invoke(runner, "site", "edit", "shop.example.com", "--alias", "example.com",
                       "--redirect-alias", "EXAMPLE.com", "--json", code=1)
        assert twice["error"] == ("--redirect-alias: example.com is listed twice; give each "
                                  "alias once, either as served or as redirecting.")
        swapped = invoke(runner, "site", "edit", "shop.example.com", "--alias", "old.example.com",
                         "--redirect-alias", "example.com", "--json")
        assert (swapped["aliases"], swapped["redirect_aliases"]) == (
            ["old.example.com"], ["example.com"])
        assert "aliases that redirect: example.com" in invoke(
            runner, "site", "show", "shop.example.com")
        both = invoke(runner, "site", "edit", "shop.example.com", "--no-aliases", "--alias",
                      "x.example.com", code=2)
        assert "Give --no-aliases or the aliases the site keeps, not both." in both
        edited = invoke(runner, "site", "edit", "shop.example.com", "--client", "janedoe",
                        "--no-aliases", "--json")
        assert edited["aliases"] == edited["redirect_aliases"] == []
        assert edited["client_id"] is not None
        shown = invoke(runner, "site", "show", "shop.example.com")
        assert "delete         not now: Disable shop.example.com before deleting it" in shown
        assert "verify         not now: A verify task is already queued" in shown
        assert "backup         available" in shown
        kept = invoke(runner, "site", "migrate", "shop.example.com", "--keep-old-uri", "--json",
                      code=1)
        assert "The old domain can only be kept when the domain changes" in kept["error"]
        renamed = invoke(runner, "site", "migrate", "shop.example.com", "--domain",
                         "new.example.com", "--keep-old-uri", "--json")
        assert (renamed["arguments"]["new_uri"], renamed["arguments"]["keep_old_uri"]) == (
            "new.example.com", True)


def finish_install(site: Site) -> None:
    """End the site's install as provision would have."""
    from tests.hostmaster.site_helpers import run_pending

    run_pending(site, "install", {"db_name": "shopexamplecom", "cron_key": "k"})


def test_task_arguments_are_checked_by_the_tasks_own_dialog_form(
        app: Flask, runner: Any) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        other = enabled_site(ready_platform(server, "drupal7b"), server, "other.example.com")
        assert other.status.name == "ENABLED"
        said = invoke(runner, "site", "migrate", "www.example.com", "--domain",
                      "other.example.com", code=1)
        assert "--domain: " in said and "other.example.com" in said
        said = invoke(runner, "site", "migrate", "www.example.com", code=1)
        assert "Choose another platform, database server or domain: this changes nothing." \
            in said
        said = invoke(runner, "site", "restore", "www.example.com", "--backup", "1", code=1)
        assert "www.example.com has no backups; back it up first." in said
        backup = site_results.record_backup(site, {"backup_file": "/var/aegir/backups/w.tar.gz",
                                                   "backup_file_size": 10}, "Generated on request")
        db.session.commit()
        said = invoke(runner, "backup", "restore", "www.example.com", "nope.tar.gz", code=1)
        assert "www.example.com has no backup 'nope.tar.gz'" in said
        queued = invoke(runner, "backup", "restore", "www.example.com", "w.tar.gz", "--json")
        assert (queued["type"], queued["status"]) == ("restore", "queued")
        assert backup is not None and queued["arguments"] == {"backup_id": backup.id}
        moved = invoke(runner, "site", "migrate", "other.example.com", "--platform",
                       "drupal7", "--json")
        target = db.session.scalar(select(Platform.id).where(Platform.name == "drupal7"))
        assert moved["arguments"] == {"target_platform": target, "target_db_server": None,
                                      "new_uri": None}


def test_clients_are_added_edited_and_deleted_as_on_their_pages(app: Flask,
                                                                 runner: Any) -> None:
    with app.app_context():
        made = invoke(runner, "client", "add", "Example Ltd", "--email", "ops@example.com",
                      "--json")
        assert made["uname"] == "exampleltd"
        invoke(runner, "client", "edit", "exampleltd", "--organisation", "Example Group")
        assert db.session.scalars(select(Client)).one().organisation == "Example Group"
        said = invoke(runner, "client", "add", "X", "--email", "not-an-address", code=1)
        assert "--email: 'not-an-address' is not an e-mail address" in said
        invoke(runner, "feature", "disable", "clients")
        said = invoke(runner, "client", "list", code=1)
        assert "The Clients feature is switched off" in said
        invoke(runner, "feature", "enable", "clients")
        invoke(runner, "client", "delete", "exampleltd")
        assert "exampleltd" not in db.session.scalars(select(Client.uname)).all()


def test_user_create_gives_the_least_powerful_role_unless_told(app: Flask,
                                                                runner: Any) -> None:
    password = "a long enough password\na long enough password\n"
    with app.app_context():
        alice = invoke(runner, "user", "create", "alice", "--email", "alice@example.com",
                       "--json", input=password)
        assert alice["roles"] == ["client"]
        boss = invoke(runner, "user", "create", "boss", "--email", "boss@example.com",
                      "--role", "administrator", "--json", input=password)
        assert boss["roles"] == ["administrator"]
        listed = invoke(runner, "user", "list", "--json")
        assert [u["username"] for u in listed["items"]] == ["alice", "boss"]
        assert "password" not in json.dumps(listed)


def test_platform_migrate_plans_then_queues_the_sites_migrations(app: Flask,
                                                                 runner: Any) -> None:
    with app.app_context():
        server = master_server()
        old = ready_platform(server, "d7-old")
        ready_platform(server, "d7-new")
        enabled_site(old, server)
        for site in db.session.scalars(select(Site)):
            site.verified_at = site.created_at
        db.session.commit()
        plan = invoke(runner, "platform", "migrate", "d7-old", "--platform", "d7-new",
                      "--plan", "--json")
        assert [(item["site"]["uri"], item["moves"]) for item in plan["items"]] == [
            ("www.example.com", True)]
        assert db.session.scalar(select(Task).where(Task.type == "migrate")) is None
        done = invoke(runner, "platform", "migrate", "d7-old", "--platform", "d7-new", "--json")
        assert [t["type"] for t in done["queued"]] == ["migrate"]
        assert done["task"]["status"] == TaskStatus.SUCCESS.name.lower()
