"""Restore, backup-delete, migrate and clone in the front end: their dialogs, what they send
to provision, what their results change in the store, and (end to end, through the dispatcher,
provision, real MariaDB and Apache) a Drupal 7 STAND-IN site migrated, renamed, cloned and
restored from the web UI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import (
    ContextName,
    Package,
    PackageInstance,
    Platform,
    PlatformStatus,
    Site,
    SiteBackup,
    SiteStatus,
    Task,
    TaskStatus,
    User,
)
from hostmaster.services import (
    api_tokens,
    contexts,
    settings,
    site_moves,
    site_results,
    sites,
    tasks,
)
from hostmaster.services.errors import ValidationError
from hostmaster.services.servers import ServiceSpec, create_server
from hostmaster.services.site_domains import check_site_domain
from hostmaster.tasks import registry
from tests.fixtures.app import AuthActions, one_store
from tests.fixtures.platforms import make_drupal7_platform, make_drupal7_upgrade_platform
from tests.fixtures.stack import MariaDBAdmin
from tests.hostmaster.pages import part, text
from tests.hostmaster.site_helpers import (
    Mailbox,
    enabled_site,
    finish,
    mailbox,
    master_server,
    ready_platform,
    use_mailbox,
)
from tests.test_sites import CATCH_ALL, create_in_ui, database_exists, ready, run_task

__all__ = ["mailbox"]  # the fixture, imported for pytest


def with_backup(site: Site, filename: str = "/var/aegir/backups/a.tar.gz",
                description: str = "Generated on request") -> SiteBackup:
    """A recorded backup of ``site``."""
    backup = site_results.record_backup(
        site, {"backup_file": filename, "backup_file_size": 2048}, description)
    assert backup is not None
    db.session.commit()
    return backup


def test_restore_and_backup_delete_are_offered_only_once_the_site_has_a_backup(
    app: Flask,
) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        assert "has no backups" in (tasks.why_unavailable(site, "restore") or "")
        assert "has no backups" in (tasks.why_unavailable(site, "backup-delete") or "")
        assert tasks.why_unavailable(site, "migrate") is None
        with_backup(site)
        assert tasks.why_unavailable(site, "restore") is None
        assert tasks.why_unavailable(site, "backup-delete") is None


def test_the_options_name_backup_files_and_contexts_not_ids(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        target = ready_platform(server, "drupal7b")
        site = enabled_site(platform, server)
        backup = with_backup(site)
        other = enabled_site(platform, server, "other.example.com")
        foreign = with_backup(other, "/var/aegir/backups/other.tar.gz")
        restore = registry.get("site", "restore")
        task = tasks.queue(site, "restore", {"backup_id": backup.id})
        assert restore.options(task, site) == {"backup_file": backup.filename}
        assert site_moves.backup_delete_options(site, {"backup_ids": [backup.id, foreign.id]}) \
            == {"backup_files": [backup.filename]}
        assert "is gone" in site_moves.restore_options(site, {"backup_id": foreign.id})[
            "backup_file"]
        assert site_moves.move_options(site, {"target_platform": target.id}) == {
            "target_platform": "@platform_drupal7b", "target_db_server": "@server_master"}
        assert site_moves.move_options(site, {"target_platform": target.id, "new_uri": "b.test",
                                              "target_db_server": None})["new_uri"] == "b.test"


def test_a_migrate_result_moves_the_site_renames_its_context_and_records_the_backup(
    app: Flask,
) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        target = ready_platform(server, "drupal7b")
        task = tasks.queue(site, "migrate", {"target_platform": target.id,
                                             "target_db_server": None, "new_uri": "new.test"})
        status = finish(task, {"uri": "new.test", "db_name": "newtest", "backup_file": "/b/x",
                               "backup_file_size": 5, "packages": []})
        assert status == TaskStatus.SUCCESS
        db.session.expire_all()
        site = db.session.get_one(Site, site.id)
        assert (site.uri, site.platform_id, site.db_name) == ("new.test", target.id, "newtest")
        assert contexts.name_of(site) == "@new.test"
        assert contexts.entity_for("www.example.com") is None
        (backup,) = site_moves.backups_of(site)
        assert backup.description == "Pre-migration"


def test_a_migrate_sends_provision_the_target_platforms_context_with_the_sites(
    app: Flask,
) -> None:
    from hostmaster.dispatcher.runner import payload_for

    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        target = ready_platform(server, "drupal7b")
        task = tasks.queue(site, "migrate", {"target_platform": target.id})
        payload = payload_for(task, site, registry.get("site", "migrate"))
        names = [context["name"] for context in payload["contexts"]]
        assert names.count("@platform_drupal7b") == 1 and names.count("@server_master") == 1
        assert names[-1] == "@www.example.com"  # what the site's context refers to comes first
        assert payload["options"]["target_platform"] == "@platform_drupal7b"


def test_a_failed_migrate_changes_nothing_in_the_store(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        site = enabled_site(platform, server)
        target = ready_platform(server, "drupal7b")
        task = tasks.queue(site, "migrate", {"target_platform": target.id, "new_uri": "n.test"})
        assert finish(task, {}, failed=True) == TaskStatus.ERROR
        db.session.expire_all()
        site = db.session.get_one(Site, site.id)
        assert (site.uri, site.platform_id) == ("www.example.com", platform.id)
        assert contexts.name_of(site) == "@www.example.com"


def test_a_clone_result_is_a_new_enabled_site_with_the_originals_client_and_profile(
    app: Flask,
) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        site = enabled_site(platform, server)
        task = tasks.queue(site, "clone", {"new_uri": "copy.test", "target_platform":
                                           platform.id, "target_db_server": None})
        finish(task, {"backup_file": "/b/y", "backup_file_size": 3, "clone": {
            "uri": "copy.test", "db_name": "copytest", "packages": []}})
        db.session.expire_all()
        copy = db.session.scalars(select(Site).where(Site.uri == "copy.test")).one()
        original = db.session.get_one(Site, site.id)
        assert copy.status == SiteStatus.ENABLED and copy.db_name == "copytest"
        assert (copy.client_id, copy.profile, copy.language) == (
            original.client_id, original.profile, original.language)
        assert contexts.name_of(copy) == "@copy.test"
        assert [b.description for b in site_moves.backups_of(original)] == ["Pre-clone"]


def test_restore_and_backup_delete_results_update_the_backup_list(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        first, second = with_backup(site), with_backup(site, "/var/aegir/backups/b.tar.gz")
        finish(tasks.queue(site, "restore", {"backup_id": first.id}),
               {"backup_file": "/var/aegir/backups/c.tar.gz", "backup_file_size": 9})
        descriptions = {b.description for b in site_moves.backups_of(site)}
        assert site_moves.PRE_RESTORE in descriptions
        finish(tasks.queue(site, "backup-delete", {"backup_ids": [first.id, second.id]}),
               {"deleted": [], "missing": []})
        assert [b.description for b in site_moves.backups_of(site)] == [site_moves.PRE_RESTORE]


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


def test_the_migrate_dialog_offers_platforms_and_refuses_a_change_of_nothing_or_a_taken_domain(
    app: Flask, client: FlaskClient, logged_in: AuthActions,
) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        target = ready_platform(server, "drupal7b")
        site = enabled_site(platform, server)
        enabled_site(platform, server, "taken.example.com")
        site_id, platform_id, target_id, server_id = site.id, platform.id, target.id, server.id
    path = f"/tasks/confirm/site/{site_id}/migrate"
    page = client.get(path).get_data(as_text=True)
    assert "drupal7b" in page and f"/sites/{site_id}/compare/{target_id}" in page
    same = {"target_platform": platform_id, "target_db_server": server_id,
            "new_uri": "www.example.com"}
    assert "changes nothing" in text(logged_in.submit(path, same).get_data(as_text=True))
    taken = {**same, "new_uri": "taken.example.com"}
    assert "already used" in text(logged_in.submit(path, taken).get_data(as_text=True))
    moved = logged_in.submit(path, {**same, "target_platform": target_id})
    assert moved.status_code == 302
    with app.app_context():
        task = db.session.scalars(select(Task).where(Task.type == "migrate")).one()
        assert task.arguments == {"target_platform": target_id, "target_db_server": None,
                                  "new_uri": None}


def test_migrate_and_clone_list_a_platform_on_another_web_server_and_say_why_one_is_refused(
    app: Flask, client: FlaskClient, logged_in: AuthActions, runner: Any,
) -> None:
    with app.app_context():
        server = master_server()
        web2 = create_server("web2.example.com", services={"http": ServiceSpec("nginx")})
        platform = ready_platform(server)
        elsewhere = ready_platform(web2, "drupal7web2")
        locked = ready_platform(server, "drupal7locked", status=PlatformStatus.LOCKED)
        wordpress = ready_platform(server, "wordpress", profiles=())
        site = enabled_site(platform, server)
        site_id, elsewhere_id, locked_id = site.id, elsewhere.id, locked.id
        wordpress_id = wordpress.id
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        token = api_tokens.create(admin, "moves")[1]
    why = "drupal7locked is locked; unlock it to move sites there."
    for task in ("migrate", "clone"):
        page = client.get(f"/tasks/confirm/site/{site_id}/{task}").get_data(as_text=True)
        choices = part(page, "field-target_platform", "</fieldset>")
        assert "drupal7web2 on web2.example.com" in text(choices)
        assert f"Not possible: {why}" in text(choices)
        locked_input = re.search(rf'<input[^>]*value="{locked_id}"[^>]*>', choices)
        assert locked_input and "disabled" in locked_input.group(0)
        assert "wordpress" not in text(choices), "another application is not listed"
    path = f"/tasks/confirm/site/{site_id}/migrate"
    assert f"{why} Choose another platform." in text(
        logged_in.submit(path, {"target_platform": locked_id}).get_data(as_text=True))

    api = {"Authorization": f"Bearer {token}"}
    listed = client.get(f"/api/v1/sites/{site_id}/targets", headers=api).get_json()["targets"]
    assert {(t["platform"], t["web_server"], t["refusal"]) for t in listed} == {
        ("drupal7", "Master", None), ("drupal7web2", "web2.example.com", None),
        ("drupal7locked", "Master", why)}
    other_application = "wordpress runs wordpress and www.example.com runs drupal"
    for refused, reason in ((locked_id, why), (wordpress_id, other_application)):
        answer = client.post(f"/api/v1/sites/{site_id}/tasks", headers=api, json={
            "type": "migrate", "arguments": {"target_platform": refused}})
        assert answer.status_code == 400
        assert reason in answer.get_json()["fields"]["target_platform"][0]
    said = runner.invoke(args=["site", "targets", "www.example.com"]).output
    assert f"no: {why}" in said and "web2.example.com" in said
    said = runner.invoke(args=["site", "migrate", "www.example.com", "--platform", "drupal7locked"])
    assert said.exit_code == 1 and why in said.output
    with app.app_context():
        assert tasks.pending_task(db.session.get_one(Site, site_id), "migrate") is None

    queued = client.post(f"/api/v1/sites/{site_id}/tasks", headers=api, json={
        "type": "migrate", "arguments": {"target_platform": elsewhere_id}})
    assert queued.status_code == 202, queued.get_data(as_text=True)
    assert queued.get_json()["arguments"]["target_platform"] == elsewhere_id


def test_a_rename_can_keep_the_old_domain_as_an_alias_that_redirects_to_the_new_one(
    app: Flask, client: FlaskClient, logged_in: AuthActions,
) -> None:
    with app.app_context():
        settings.save({"alias_automatic_www": True})
        server = master_server()
        site = enabled_site(ready_platform(server), server, "shop.example.com")
        sites.update_site(site, client=site.client, aliases=["extra.example.com"],
                          redirect_aliases=["moved.example.com"])
        finish(tasks.pending_task(site, "verify"))  # type: ignore[arg-type]
        site_id, platform_id, server_id = site.id, site.platform_id, server.id
    path = f"/tasks/confirm/site/{site_id}/migrate"
    same = {"target_platform": platform_id, "target_db_server": server_id,
            "new_uri": "shop.example.com", "keep_old_uri": "y"}
    kept_without_rename = text(logged_in.submit(path, same).get_data(as_text=True))
    assert "The old domain can only be kept when the domain changes" in kept_without_rename
    # Its own automatic alias www.shop.example.com may become its domain.
    renamed = logged_in.submit(path, {**same, "new_uri": "www.shop.example.com"})
    assert renamed.status_code == 302
    with app.app_context():
        site = db.session.get_one(Site, site_id)
        task = db.session.scalars(select(Task).where(Task.type == "migrate")).one()
        assert task.arguments["keep_old_uri"] is True
        options = registry.get("site", "migrate").options(task, site)
        assert (options["new_uri"], options["keep_old_uri"]) == ("www.shop.example.com", True)
        # The automatic alias of the new domain would be the old one: provision keeps that.
        assert (options["aliases"], options["redirect_aliases"]) == (
            ["extra.example.com"], ["moved.example.com"])
        finish(task, {"uri": "www.shop.example.com", "aliases": ["extra.example.com"],
                      "redirect_aliases": ["moved.example.com", "shop.example.com"]})
        db.session.expire_all()
        site = db.session.get_one(Site, site_id)
        assert site.uri == "www.shop.example.com"
        assert [(a.alias, a.redirection, a.automatic) for a in site.aliases] == [
            ("extra.example.com", False, False), ("moved.example.com", True, False),
            ("shop.example.com", True, True)]
        assert "already used by an alias of www.shop.example.com" in str(
            check_site_domain("shop.example.com"))
    clone = client.get(f"/tasks/confirm/site/{site_id}/clone").get_data(as_text=True)
    assert 'name="keep_old_uri"' not in clone


def test_a_migrate_to_an_older_version_is_refused_unless_the_downgrade_is_confirmed(
    app: Flask, client: FlaskClient, logged_in: AuthActions,
) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        older = ready_platform(server, "drupal7old")
        platform.version, platform.core = "7.103", "7"
        older.version, older.core = "7.90", "7"
        site = enabled_site(platform, server)
        site_id, older_id = site.id, older.id
        with pytest.raises(ValidationError) as refused:
            tasks.queue(site, "migrate", {"target_platform": older_id})
        (message,) = refused.value.errors["target_platform"]
        assert "7.90" in message and "7.103" in message and "Allow a downgrade" in message
        assert tasks.pending_task(site, "migrate") is None
    path = f"/tasks/confirm/site/{site_id}/migrate"
    assert "Allow a downgrade" in client.get(path).get_data(as_text=True)
    assert "older than 7.103" in text(logged_in.submit(
        path, {"target_platform": older_id}).get_data(as_text=True))
    assert logged_in.submit(
        path, {"target_platform": older_id, "allow_downgrade": "y"}).status_code == 302
    with app.app_context():
        task = db.session.scalars(select(Task).where(Task.type == "migrate")).one()
        assert task.arguments["allow_downgrade"] is True
        assert task.arguments["target_platform"] == older_id


def test_the_clone_dialog_needs_a_new_domain(
    app: Flask, client: FlaskClient, logged_in: AuthActions,
) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        site = enabled_site(platform, server)
        site_id, platform_id, server_id = site.id, platform.id, server.id
    path = f"/tasks/confirm/site/{site_id}/clone"
    form = {"target_platform": platform_id, "target_db_server": server_id, "new_uri": ""}
    assert "new domain" in text(logged_in.submit(path, form).get_data(as_text=True))
    assert logged_in.submit(path, {**form, "new_uri": "copy.example.com"}).status_code == 302
    with app.app_context():
        task = db.session.scalars(select(Task).where(Task.type == "clone")).one()
        assert task.arguments["new_uri"] == "copy.example.com"


def test_the_restore_dialog_lists_the_backups_and_queues_the_chosen_one(
    app: Flask, client: FlaskClient, logged_in: AuthActions,
) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        backup = with_backup(site, description="Before the redesign")
        site_id, backup_id = site.id, backup.id
    path = f"/tasks/confirm/site/{site_id}/restore"
    assert "Before the redesign" in client.get(path).get_data(as_text=True)
    assert "Choose the backup" in text(logged_in.submit(path, {}).get_data(as_text=True))
    assert logged_in.submit(path, {"backup_id": backup_id}).status_code == 302
    with app.app_context():
        task = db.session.scalars(select(Task).where(Task.type == "restore")).one()
        assert task.arguments == {"backup_id": backup_id}


def submit_task(auth: AuthActions, site_id: int, type_name: str, data: dict[str, Any]) -> None:
    """Queue a task through its confirm dialog."""
    response = auth.submit(f"/tasks/confirm/site/{site_id}/{type_name}", data)
    assert response.status_code == 302, text(response.get_data(as_text=True))


def site_name(admin: MariaDBAdmin, database: str, value: str | None = None) -> str:
    """The stand-in site's name (its served title), set first when ``value`` is given."""
    connection = admin.connect(database)
    try:
        with connection.cursor() as cursor:
            if value is not None:
                cursor.execute("UPDATE variable SET value = %s WHERE name = 'site_name'",
                               (f's:{len(value)}:"{value}";',))
            cursor.execute("SELECT value FROM variable WHERE name = 'site_name'")
            return str(cursor.fetchone()[0])
    finally:
        connection.close()


@pytest.mark.apache
@one_store
def test_a_site_is_migrated_renamed_cloned_and_restored_from_the_ui(
    app: Flask, client: FlaskClient, logged_in: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, apache_instance: Any, mailbox: Mailbox,
) -> None:
    instance = apache_instance
    uri, renamed, copy = "moves-a.example.test", "moves-b.example.test", "moves-c.example.test"
    root_a = make_drupal7_platform(aegir_root / "platforms" / "moves_a")
    root_b = make_drupal7_upgrade_platform(aegir_root / "platforms" / "moves_b")
    with app.app_context():
        use_mailbox(mailbox)
        server_id, platform_a = ready(app, "apache", instance, mariadb_admin, root_a)
        from hostmaster.dispatcher import dispatch_once
        from hostmaster.services.platforms import create_platform

        platform_b = create_platform("moves_b", str(root_b),
                                     db.session.get_one(Platform, platform_a).web_server).id
        dispatch_once(app)
        site_id = create_in_ui(logged_in, uri, server_id, platform_a, profile="standard")
        run_task(app, instance, site_id, "install")
        old_db = db.session.get_one(Site, site_id).db_name
        site_name(mariadb_admin, old_db, "Our content")
        instance.wait_for_body("<title>Our content", host=uri)

        submit_task(logged_in, site_id, "migrate", {
            "target_platform": platform_b, "target_db_server": server_id, "new_uri": renamed})
        run_task(app, instance, site_id, "migrate")
        site = db.session.get_one(Site, site_id)
        assert (site.uri, site.platform_id) == (renamed, platform_b)
        assert not database_exists(mariadb_admin, old_db)
        assert not (root_a / "sites" / uri).exists()
        views = db.session.scalars(
            select(PackageInstance.version).join(Package).where(
                PackageInstance.owner_kind == "site", PackageInstance.owner_id == site_id,
                Package.short_name == "views")).one()
        assert views == "7.x-3.30"
        instance.wait_for_body("<title>Our content", host=renamed)
        assert CATCH_ALL in instance.wait_for_body(CATCH_ALL, host=uri)

        submit_task(logged_in, site_id, "clone", {
            "target_platform": platform_b, "target_db_server": server_id, "new_uri": copy})
        run_task(app, instance, site_id, "clone")
        clone = db.session.scalars(select(Site).where(Site.uri == copy)).one()
        assert clone.db_name != site.db_name and clone.status == SiteStatus.ENABLED
        assert db.session.scalar(select(ContextName.name).where(
            ContextName.entity_id == clone.id, ContextName.entity_kind == "site")) == copy
        instance.wait_for_body("<title>Our content", host=copy)

        backup = with_backup_through_ui(app, logged_in, instance, site_id)
        site_name(mariadb_admin, db.session.get_one(Site, site_id).db_name, "Written later")
        instance.wait_for_body("<title>Written later", host=renamed)
        submit_task(logged_in, site_id, "restore", {"backup_id": backup})
        run_task(app, instance, site_id, "restore")
        instance.wait_for_body("<title>Our content", host=renamed)
        descriptions = [b.description for b in site_moves.backups_of(
            db.session.get_one(Site, site_id))]
        assert site_moves.PRE_RESTORE in descriptions
        instance.wait_for_body("<title>Our content", host=copy)


def with_backup_through_ui(app: Flask, auth: AuthActions, instance: Any, site_id: int) -> int:
    """Back the site up through its dialog and the dispatcher; the backup's id."""
    submit_task(auth, site_id, "backup", {"description": "Before later changes"})
    run_task_no_reload(app, site_id, "backup")
    backup = db.session.scalars(select(SiteBackup).where(
        SiteBackup.site_id == site_id, SiteBackup.description == "Before later changes")).one()
    return backup.id


def run_task_no_reload(app: Flask, site_id: int, type_name: str) -> None:
    """Run a queued task that does not reload the web server; it must succeed."""
    from hostmaster.dispatcher import dispatch_once
    from tests.hostmaster.helpers import log_text

    dispatch_once(app)
    db.session.expire_all()
    task = db.session.scalars(select(Task).where(
        Task.entity_id == site_id, Task.type == type_name).order_by(Task.id.desc())).first()
    assert task is not None and task.status == TaskStatus.SUCCESS, log_text(task.id if task else 0)
