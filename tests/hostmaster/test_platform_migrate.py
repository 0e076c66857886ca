"""The platform task "Migrate sites": choose a target, review which sites pass the package
comparison, queue a site migrate task for each one that does, and list those that stay."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Platform, PlatformStatus, Site, SiteStatus, Task, TaskStatus
from hostmaster.services import packages
from tests.fixtures.app import AuthActions
from tests.hostmaster.helpers import log_text
from tests.hostmaster.pages import part, rows, text
from tests.hostmaster.site_helpers import enabled_site, finish, master_server, ready_platform

STANDARD = {"short_name": "standard", "kind": "profile", "name": "Standard", "version": "7.103",
            "version_code": 7103005000, "path": "profiles/standard/standard.info"}


def views(version: str, code: int, schema: int, enabled: bool = False) -> dict[str, Any]:
    return {"short_name": "views", "kind": "module", "name": "Views", "version": version,
            "version_code": code, "schema_version": schema, "enabled": enabled,
            "path": "sites/all/modules/views/views.info"}


def stocked_site(platform: Platform, server: Any, uri: str, schema: int) -> Site:
    """An enabled, verified site with views 3.28 at ``schema``."""
    site = enabled_site(platform, server, uri)
    packages.sync("site", site.id, [{**STANDARD, "enabled": True},
                                    views("7.x-3.28", 7000030285000, schema, enabled=True)])
    db.session.commit()
    return site


def world(app: Flask) -> dict[str, int]:
    """drupal7 with three enabled sites and a disabled one; drupal7b has views 3.29 (schema
    7301): one site of drupal7 has run an update drupal7b does not have (schema 7302)."""
    with app.app_context():
        server = master_server()
        source = ready_platform(server, "drupal7")
        target = ready_platform(server, "drupal7b")
        ready_platform(server, "drupal7locked", status=PlatformStatus.LOCKED)
        packages.sync("platform", target.id, [STANDARD, views("7.x-3.29", 7000030295000, 7301)])
        ids = {"source": source.id, "target": target.id}
        for uri, schema in [("a.example.com", 7300), ("b.example.com", 7301),
                            ("newer.example.com", 7302), ("off.example.com", 7301)]:
            ids[uri] = stocked_site(source, server, uri, schema).id
        off = db.session.get(Site, ids["off.example.com"])
        assert off is not None
        off.status = SiteStatus.DISABLED
        db.session.commit()
        return ids


def confirm_path(platform_id: int) -> str:
    return f"/platforms/{platform_id}/migrate"


def site_migrations() -> list[tuple[str, dict[str, Any], TaskStatus]]:
    """The site migrate tasks in the store: (site uri, arguments, status), by uri."""
    found = db.session.execute(
        select(Site.uri, Task.arguments, Task.status)
        .join(Site, Site.id == Task.entity_id)
        .where(Task.entity_kind == "site", Task.type == "migrate")
        .order_by(Site.uri)
    )
    return [(uri, arguments, status) for uri, arguments, status in found]


def test_migrating_a_platform_queues_a_migrate_for_each_site_that_passes(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    ids = world(app)
    auth.login()
    platform_page = client.get(f"/platforms/{ids['source']}").get_data(as_text=True)
    run_link = re.search(r'href="([^"]+)">Run</a>', part(platform_page, "tasks-title", "</table>"))
    assert run_link and run_link.group(1) == confirm_path(ids["source"])

    choose = client.get(run_link.group(1)).get_data(as_text=True)
    offered = text(part(choose, "field-target_platform", "</div>"))
    assert "drupal7b" in offered and "locked" not in offered and "drupal7 (" not in offered

    review = auth.submit(confirm_path(ids["source"]), {"target_platform": str(ids["target"])})
    page = review.get_data(as_text=True)
    passing = text(part(page, "passing-sites", "</table>"))
    failing = text(part(page, "failing-sites", "</table>"))
    assert "a.example.com Upgrades: 1, Warnings: 0, Errors: 0" in passing
    assert "b.example.com Upgrades: 1" in passing and "newer.example.com" not in passing
    assert (
        "newer.example.com Upgrades: 0, Warnings: 0, Errors: 1 | Compare 1 package has a newer "
        "database schema on the site than on drupal7b." in failing
    )
    assert f'href="/sites/{ids["newer.example.com"]}/compare/{ids["target"]}"' in page
    assert "off.example.com" not in passing + failing  # only enabled sites move
    with app.app_context():
        assert site_migrations() == []  # the review queues nothing

    done = auth.submit(
        confirm_path(ids["source"]),
        {"target_platform": str(ids["target"]), "reviewed": "1"},
    )
    with app.app_context():
        # The arguments as the site's migrate dialog makes them (the same form checked them).
        moved = {"target_platform": ids["target"], "target_db_server": None, "new_uri": None}
        assert site_migrations() == [
            ("a.example.com", moved, TaskStatus.QUEUED),
            ("b.example.com", moved, TaskStatus.QUEUED),
        ]
        record = db.session.scalars(
            select(Task).where(Task.entity_kind == "platform", Task.type == "migrate")
        ).one()
        assert record.status == TaskStatus.WARNING  # one site stays
        assert record.arguments == {"target_platform": ids["target"]}
        log = log_text(record.id)
    assert done.location == f"/tasks/{record.id}"
    assert "a.example.com is queued" in log and "b.example.com is queued" in log
    assert "warning: newer.example.com is not migrated: 1 package has a newer" in log
    shown = text(client.get(done.location).get_data(as_text=True))
    assert "Migrate tasks for 2 sites are queued." in shown
    assert "newer.example.com is not migrated" in shown


def test_running_the_platform_migrate_again_queues_the_sites_once_more(app: Flask) -> None:
    from hostmaster.services import platform_migration, tasks

    ids = world(app)
    with app.app_context():
        source = db.session.get(Platform, ids["source"])
        target = db.session.get(Platform, ids["target"])
        assert source is not None and target is not None
        first = platform_migration.migrate_sites(source, target)
        for task in db.session.scalars(select(Task).where(Task.entity_kind == "site",
                                                          Task.type == "migrate")):
            task.status = TaskStatus.SUCCESS  # the first migrations ran
        db.session.commit()
        again = tasks.retry(first)
        assert (again.status, again.arguments) == (TaskStatus.QUEUED, first.arguments)
        assert finish(again) == TaskStatus.WARNING
        assert [(uri, status) for uri, _, status in site_migrations()] == [
            ("a.example.com", TaskStatus.SUCCESS), ("a.example.com", TaskStatus.QUEUED),
            ("b.example.com", TaskStatus.SUCCESS), ("b.example.com", TaskStatus.QUEUED),
        ]
        assert "newer.example.com is not migrated" in log_text(again.id)


def test_a_target_no_site_can_move_to_queues_nothing_and_says_so(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    ids = world(app)
    with app.app_context():
        target = db.session.get(Platform, ids["target"])
        assert target is not None
        packages.sync("platform", target.id, [views("7.x-3.29", 7000030295000, 7301)])
        db.session.commit()  # drupal7b has no standard profile now
    auth.login()
    before = rows(app, Task)
    review = auth.submit(confirm_path(ids["source"]), {"target_platform": str(ids["target"])})
    page = review.get_data(as_text=True)
    assert "drupal7b does not have the install profile standard." in text(
        part(page, "failing-sites", "</table>")
    )
    assert "None of the sites of drupal7 can move to drupal7b." in text(page)
    forced = auth.submit(
        confirm_path(ids["source"]), {"target_platform": str(ids["target"]), "reviewed": "1"}
    )
    refusal = "None of the sites of drupal7 can move to drupal7b."
    assert refusal in text(forced.get_data(as_text=True))
    assert rows(app, Task) == before


def test_a_platform_without_sites_or_targets_says_why_it_cannot_migrate(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    ids = world(app)
    auth.login()
    empty = client.get(confirm_path(ids["target"])).get_data(as_text=True)
    assert "drupal7b has no enabled, verified sites to migrate." in text(
        part(empty, "unavailable", "</p>")
    )
    with app.app_context():
        target = db.session.get(Platform, ids["target"])
        assert target is not None
        target.status = PlatformStatus.LOCKED
        db.session.commit()
    alone = client.get(confirm_path(ids["source"])).get_data(as_text=True)
    assert "There is no other enabled drupal platform on Master to migrate" in text(
        part(alone, "unavailable", "</p>")
    )
    before = rows(app, Task)
    refused = auth.submit(confirm_path(ids["source"]), {"target_platform": str(ids["target"]),
                                                         "reviewed": "1"})
    assert refused.status_code == 200
    assert rows(app, Task) == before
