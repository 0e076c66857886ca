"""The site queues end to end: a WordPress site (Debian's real WordPress) and a Drupal-shaped
site (the generated Drupal 7 STAND-IN of tests/fixtures/platforms.py, given the ``cron.php``
Drupal 7 has) installed by the dispatcher on the private Apache and real MariaDB; then the
dispatcher's pass runs their cron through Apache, reads their statistics and backs them up with
a retention policy."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import Site, SiteBackup, SiteStatistic, SiteStatus, Task, utcnow
from hostmaster.queues import get as get_queue
from hostmaster.queues import state as queue_state
from hostmaster.queues.runner import run_due_queues
from hostmaster.services import settings
from tests.fixtures.app import AuthActions, one_store
from tests.fixtures.platforms import make_drupal7_platform, make_wordpress_platform
from tests.fixtures.stack import MariaDBAdmin
from tests.hostmaster.helpers import log_text
from tests.hostmaster.pages import text
from tests.hostmaster.site_helpers import Mailbox, mailbox, use_mailbox
from tests.test_sites import confirm, create_in_ui, ready, run_task

__all__ = ["mailbox"]  # the fixture, imported for pytest

#: Drupal 7's cron.php does exactly this: check the key, run cron, which sets cron_last.
DRUPAL7_CRON_PHP = """<?php
/**
 * @file
 * Stand-in for Drupal 7's cron.php (Drupal core is in no registry reachable here).
 */
define('DRUPAL_ROOT', getcwd());
require_once DRUPAL_ROOT . '/includes/bootstrap.inc';
drupal_bootstrap(DRUPAL_BOOTSTRAP_FULL);
if (!isset($_GET['cron_key']) || variable_get('cron_key', 'drupal') != $_GET['cron_key']) {
  http_response_code(403);
  print 'Access denied';
  exit;
}
variable_set('cron_last', time());
"""
#: A due single event in WordPress's cron option; running WordPress's cron removes it.
WP_TICK = "hostmaster_test_tick"
WP_CRON_OPTION = (
    'a:2:{i:1000;a:1:{s:20:"' + WP_TICK + '";a:1:{s:32:"40cd750bba9870f18aada2478b24840a";'
    'a:2:{s:8:"schedule";b:0;s:4:"args";a:0:{}}}}s:7:"version";i:2;}'
)


def site_sql(admin: MariaDBAdmin, database: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run ``sql`` in a site's database as the MariaDB admin."""
    connection = admin.connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or None)
            rows = [tuple(row) for row in cursor.fetchall()]
        connection.commit()
        return rows
    finally:
        connection.close()


def only_queue(name: str) -> None:
    """Enable queue ``name`` and disable the others."""
    for view in queue_state.overview():
        queue_state.update_settings(view.queue.name, view.queue.name == name,
                                    view.state.frequency, view.state.items)


def install_sites(app: Flask, auth: AuthActions, aegir_root: Path, admin: MariaDBAdmin,
                  instance: Any) -> dict[str, int]:
    """A WordPress and a Drupal 7 stand-in site, installed: uri → site id."""
    drupal_root = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    (drupal_root / "cron.php").write_text(DRUPAL7_CRON_PHP)
    wordpress_root = make_wordpress_platform(aegir_root / "platforms" / "wordpress")
    server_id, drupal_id = ready(app, "apache", instance, admin, drupal_root)
    from hostmaster.models import Platform
    from hostmaster.services.platforms import create_platform

    server = db.session.get_one(Platform, drupal_id).web_server
    wordpress = create_platform("wordpress", str(wordpress_root), server)
    dispatch_once(app)
    ids = {
        "d7-queue.example.test": create_in_ui(auth, "d7-queue.example.test", server_id,
                                              drupal_id, profile="standard"),
        "wp-queue.example.test": create_in_ui(auth, "wp-queue.example.test", server_id,
                                              wordpress.id, profile=""),
    }
    with instance.expect_reload():
        dispatch_once(app)  # both installs run in this pass
    db.session.expire_all()
    for site_id in ids.values():
        site = db.session.get_one(Site, site_id)
        assert site.status == SiteStatus.ENABLED, log_text(last_task_id(site_id))
    return ids


def last_task_id(site_id: int) -> int:
    """The id of the site's newest task."""
    newest = select(Task.id).where(Task.entity_kind == "site", Task.entity_id == site_id)
    return db.session.scalars(newest.order_by(Task.id.desc())).first() or 0


def delete_sites(app: Flask, auth: AuthActions, instance: Any, ids: dict[str, int]) -> None:
    """Disable and delete the sites (their databases go)."""
    app.config["DISPATCH_QUEUES"] = False
    for site_id in ids.values():
        site = db.session.get_one(Site, site_id)
        site.status = SiteStatus.DISABLED
        db.session.commit()
        confirm(auth, site_id, "delete")
        run_task(app, instance, site_id, "delete")


@one_store
def test_the_queues_run_cron_read_statistics_and_keep_three_backups(
    app: Flask, client: FlaskClient, auth: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, mailbox: Mailbox, apache_instance: Any,
) -> None:
    auth.login()
    with app.app_context():
        use_mailbox(mailbox)
        ids = install_sites(app, auth, aegir_root, mariadb_admin, apache_instance)
        app.config["DISPATCH_QUEUES"] = True  # from here on, dispatch passes run the queues
        d7 = db.session.get_one(Site, ids["d7-queue.example.test"])
        wp = db.session.get_one(Site, ids["wp-queue.example.test"])
        d7_db, wp_db = d7.db_name, wp.db_name
        try:
            check_cron(app, client, mariadb_admin, d7_db, wp_db, ids)
            check_statistics(app, client, mariadb_admin, d7_db, wp_db, ids)
            check_retention(app, aegir_root, ids)
        finally:
            delete_sites(app, auth, apache_instance, ids)


def check_cron(app: Flask, client: FlaskClient, admin: MariaDBAdmin, d7_db: str, wp_db: str,
               ids: dict[str, int]) -> None:
    """One dispatch pass runs both sites' cron through Apache: an effect in each database."""
    only_queue("cron")
    site_sql(admin, wp_db, "REPLACE INTO wp_options (option_name, option_value, autoload) "
             "VALUES ('cron', %s, 'yes')", WP_CRON_OPTION)
    site_sql(admin, wp_db, "DELETE FROM wp_options WHERE option_name LIKE %s",
             "%transient%doing_cron")
    assert site_sql(admin, d7_db, "SELECT value FROM variable WHERE name = 'cron_last'") == []
    before = utcnow()

    dispatch_once(app)  # with two sites the spread is one site every ten minutes
    assert get_queue_state("cron").details["last_result"] == "Ran cron on 1 site."
    run_due_queues(app, utcnow() + timedelta(seconds=601))

    db.session.expire_all()
    (cron_last,) = site_sql(admin, d7_db, "SELECT value FROM variable WHERE name = 'cron_last'")
    assert int(cron_last[0].decode().split(":")[1].rstrip(";")) >= int(time.time()) - 60
    (option,) = site_sql(admin, wp_db,
                         "SELECT option_value FROM wp_options WHERE option_name = 'cron'")
    assert WP_TICK not in option[0], option[0]
    for site_id in ids.values():
        site = db.session.get_one(Site, site_id)
        assert site.last_cron_at is not None and site.last_cron_at >= before - timedelta(seconds=1)
        page = text(client.get(f"/sites/{site_id}").get_data(as_text=True))
        assert f"Last cron {site.last_cron_at:%Y-%m-%d %H:%M}" in page
    assert get_queue_state("cron").details["last_result"] == "Ran cron on 1 site."


def get_queue_state(name: str) -> Any:
    """The stored state of queue ``name``, read afresh."""
    db.session.expire_all()
    return queue_state.state_of(get_queue(name))


def check_statistics(app: Flask, client: FlaskClient, admin: MariaDBAdmin, d7_db: str,
                     wp_db: str, ids: dict[str, int]) -> None:
    """Known users, content and comments are counted exactly; the chart and totals show them."""
    only_queue("statistics")
    now = int(time.time())
    old = now - 40 * 86400
    site_sql(admin, d7_db, "INSERT INTO users (uid, name, pass, mail, created, access, login, "
             "status) VALUES (2, 'ann', '', 'ann@example.com', %s, %s, %s, 1), (3, 'bob', '', "
             "'bob@example.com', %s, %s, %s, 1)", old, now, now, old, old, old)
    site_sql(admin, d7_db, "INSERT INTO node (type, title, uid, status, created) VALUES "
             "('article', 'A', 2, 1, %s), ('article', 'B', 2, 0, %s)", now, now)
    site_sql(admin, d7_db, "INSERT INTO comment (nid, uid, subject, created) VALUES "
             "(1, 2, 'a', %s), (1, 3, 'b', %s), (2, 2, 'c', %s)", now, now, now)
    # WordPress: two more users (one logged in 40 days ago, one today), a published post, a
    # draft, and two approved comments beside a spam one.
    site_sql(admin, wp_db, "INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, "
             "user_email, user_registered, display_name) VALUES (2, 'ann', '', 'ann', "
             "'ann@example.com', NOW(), 'Ann'), (3, 'bob', '', 'bob', 'bob@example.com', NOW(), "
             "'Bob')")
    for user_id, login in ((2, now), (3, old)):
        tokens = ('a:1:{s:64:"' + "a" * 64 + '";a:2:{s:10:"expiration";i:' + str(login + 86400)
                  + ';s:5:"login";i:' + str(login) + ";}}")
        site_sql(admin, wp_db, "INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES "
                 "(%s, 'session_tokens', %s)", user_id, tokens)
    site_sql(admin, wp_db, "INSERT INTO wp_posts (post_author, post_date, post_date_gmt, "
             "post_content, post_title, post_excerpt, post_status, post_name, to_ping, pinged, "
             "post_modified, post_modified_gmt, post_content_filtered, post_type) VALUES "
             "(2, NOW(), NOW(), 'x', 'Published', '', 'publish', 'p', '', '', NOW(), NOW(), '', "
             "'post'), (2, NOW(), NOW(), 'x', 'Draft', '', 'draft', 'd', '', '', NOW(), NOW(), "
             "'', 'post')")
    site_sql(admin, wp_db, "INSERT INTO wp_comments (comment_post_ID, comment_author, "
             "comment_date, comment_date_gmt, comment_content, comment_approved) VALUES "
             "(1, 'Ann', NOW(), NOW(), 'yes', '1'), (1, 'Bob', NOW(), NOW(), 'yes', '1'), "
             "(1, 'Spam', NOW(), NOW(), 'buy', 'spam')")

    dispatch_once(app)

    db.session.expire_all()
    readings = {
        uri: db.session.scalars(select(SiteStatistic).where(
            SiteStatistic.site_id == site_id)).one()
        for uri, site_id in ids.items()
    }
    d7 = readings["d7-queue.example.test"]
    # Drupal: uid 1 (never seen), ann (today), bob (40 days ago); the welcome node and two more.
    assert (d7.users, d7.active_users, d7.content_items, d7.comments) == (3, 1, 3, 3)
    wp = readings["wp-queue.example.test"]
    # WordPress installs admin, "Hello world!", "Sample Page" and one approved comment.
    assert (wp.users, wp.active_users, wp.content_items, wp.comments) == (3, 1, 3, 3)
    page = client.get(f"/sites/{ids['wp-queue.example.test']}").get_data(as_text=True)
    assert '<svg class="statistics-chart"' in page and "Users: 3, Active users (30 days): 1" in page
    assert page.count("<polyline") == 4
    dashboard = text(client.get("/").get_data(as_text=True))
    assert "Users 6 Active users (30 days) 2 Content items 6 Comments 6" in dashboard, dashboard


def check_retention(app: Flask, aegir_root: Path, ids: dict[str, int]) -> None:
    """With retention "last 3", five scheduled runs leave three archives and three records."""
    only_queue("backup")
    for key, value in (("last", 3), ("daily", 0), ("weekly", 0), ("monthly", 0)):
        settings.put(f"backup_keep_{key}", value)
    db.session.commit()
    now = utcnow()
    made: set[str] = set()
    for run in range(5):
        assert run_due_queues(app, now + timedelta(days=run, seconds=run)) == []
        db.session.expire_all()
        made |= {b.filename for b in db.session.scalars(select(SiteBackup))}
    for site_id in ids.values():
        backups = db.session.scalars(select(SiteBackup).where(
            SiteBackup.site_id == site_id)).all()
        assert len(backups) == 3
        assert all(b.description == "Scheduled backup" and Path(b.filename).is_file()
                   for b in backups)
    archives = sorted((aegir_root / "backups").glob("*-queue.example.test-*.tar.gz"))
    assert len(archives) == 6 and len(made) == 10
    kept = {str(path) for path in archives}
    assert kept == {b.filename for b in db.session.scalars(select(SiteBackup))}
