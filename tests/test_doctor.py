"""The doctor end to end (issue 14, item 6): orphans planted on the master (a database and its
user on the real MariaDB, a site folder, a vhost file in the real Apache's configuration, a
context file, a backup archive) beside a real installed site; ``hostmaster doctor`` (with a
real dispatcher daemon running provision) lists exactly those and none of the site's own;
each is removed only once confirmed, in the CLI or on the administrators' page; the site is
still served afterwards.

The platform is the generated Drupal 7 STAND-IN of tests/fixtures/platforms.py (Drupal core is
in no registry reachable here). The MariaDB server is shared with whatever else runs on this
machine, so databases and users that look like a site's and belong to other test sessions may
be listed too: for those two kinds the test checks that the planted ones are listed and that
the site's own, the store's and the admin account are not; every other kind lives in this
test's aegir root and is checked exactly.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import Platform, PlatformStatus, Server, Site, SiteStatus, Task, TaskStatus
from hostmaster.services.platforms import create_platform
from hostmaster.services.servers import ServiceSpec, create_server
from hostmaster.services.sites import SiteSpec, create_site
from tests.fixtures.app import AuthActions
from tests.fixtures.platforms import make_drupal7_platform
from tests.fixtures.stack import ApacheInstance, MariaDBAdmin
from tests.hostmaster.dispatcher_support import Daemon, wait_for
from tests.hostmaster.helpers import log_text
from tests.hostmaster.site_helpers import Mailbox, mailbox, use_mailbox

__all__ = ["mailbox"]  # the fixture, imported for pytest

pytestmark = [
    pytest.mark.mariadb,
    pytest.mark.apache,
    pytest.mark.parametrize("store_url", ["mariadb"], indirect=True),
]

SITE = "kept.example.test"
AN_HOUR_AGO = time.time() - 3600
LISTED = re.compile(r"^\s+(\d+)\s+.*\[(\w+:.+)\]$")


def ready_master(app: Flask, apache: ApacheInstance, admin: MariaDBAdmin, root: Path) -> int:
    """``@server_master`` (the private Apache, the real MariaDB) and a verified platform on it;
    a site installed there. Returns the site's id."""
    server = create_server("localhost", master=True, services={
        "http": ServiceSpec("apache", port=apache.port, restart_cmd=apache.restart_cmd,
                            options={"http_configtest_cmd": apache.configtest_cmd,
                                     "http_include_dir": str(apache.include_dir)}),
        "db": ServiceSpec("mysql", port=admin.port, db_user=admin.user,
                          db_password=admin.password, options={"db_host": admin.host}),
    })
    with apache.expect_reload():
        dispatch_once(app)
    platform = create_platform(root.name, str(root), server)
    dispatch_once(app)
    db.session.expire_all()
    assert db.session.get_one(Platform, platform.id).status == PlatformStatus.ENABLED
    site = create_site(SiteSpec(uri=SITE, platform=platform, db_server=server,
                                profile="standard"))
    with apache.expect_reload():
        dispatch_once(app)
    db.session.expire_all()
    site = db.session.get_one(Site, site.id)
    assert site.status == SiteStatus.ENABLED, log_text(
        db.session.scalars(select(Task.id).order_by(Task.id.desc())).first() or 0)
    return site.id


def plant(aegir_root: Path, platform_root: Path, admin: MariaDBAdmin, port: int) -> set[str]:
    """Orphans of every kind, an hour old (no running task can be making them): their ids."""
    tag = secrets.token_hex(3)
    gone = f"gone-{tag}.example.test"
    database = f"orph_{tag}"
    connection = admin.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{database}`")
            cursor.execute(f"CREATE TABLE `{database}`.`node` (nid INT PRIMARY KEY)")
            cursor.execute("CREATE USER %s@'localhost' IDENTIFIED BY %s",
                           (database, secrets.token_urlsafe(16)))
            cursor.execute(f"GRANT ALL PRIVILEGES ON `{database}`.* TO %s@'localhost'",
                           (database,))
    finally:
        connection.close()
    folder = platform_root / "sites" / gone
    folder.mkdir()
    (folder / "settings.php").write_text("<?php\n$databases = [];\n")
    vhost = aegir_root / "config" / "server_master" / "apache" / "vhost.d" / gone
    vhost.write_text(f"<VirtualHost *:{port}>\n    ServerName {gone}\n"
                     f"    DocumentRoot {platform_root}\n</VirtualHost>\n")
    context = aegir_root / "contexts" / f"{gone}.json"
    context.write_text(json.dumps({"name": f"@{gone}", "context_type": "site",
                                   "properties": {}}))
    archive = aegir_root / "backups" / f"{gone}-20260101.000000.tar.gz"
    archive.write_bytes(os.urandom(2048))
    for path in (folder / "settings.php", folder, vhost, context, archive):
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    return {f"database:{database}", f"db_user:{database}", f"site_folder:{folder}",
            f"vhost:{vhost}", f"context:@{gone}", f"backup:{archive}"}


def listed(output: str) -> dict[str, str]:
    """The orphans ``hostmaster doctor`` printed: id → number."""
    found = {}
    for line in output.splitlines():
        match = LISTED.match(line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def exactly_or_among(found: set[str], planted: set[str]) -> None:
    """Every planted orphan is found; beyond them only other sessions' site databases."""
    assert planted <= found, (planted - found, found)
    others = found - planted
    assert all(item.split(":")[0] in ("database", "db_user") for item in others), others


def test_doctor_lists_exactly_the_planted_orphans_and_removes_each_once_confirmed(
    app: Flask, client: FlaskClient, auth: AuthActions, runner: Any, aegir_root: Path,
    tmp_path: Path, mariadb_admin: MariaDBAdmin, apache_instance: ApacheInstance,
    mailbox: Mailbox,
) -> None:
    platform_root = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    with app.app_context():
        use_mailbox(mailbox)
        site_id = ready_master(app, apache_instance, mariadb_admin, platform_root)
        site_db = db.session.get_one(Site, site_id).db_name
        server_id = db.session.scalars(select(Server.id)).one()
    apache_instance.wait_for_body(f"<title>{SITE}</title>", host=SITE)
    planted = plant(aegir_root, platform_root, mariadb_admin, apache_instance.port)
    store = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    daemon = Daemon(app, app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "daemon.log")
    try:
        result = runner.invoke(args=["doctor", "--timeout", "120"])
        assert result.exit_code == 0, result.output
        found = listed(result.output)
        exactly_or_among(set(found), planted)
        for owned in (f"database:{site_db}", f"db_user:{site_db}", f"database:{store.database}",
                      f"db_user:{mariadb_admin.user}", f"context:@{SITE}",
                      f"site_folder:{platform_root / 'sites' / SITE}"):
            assert owned not in found, result.output

        # declined: nothing is removed
        database_id = next(item for item in planted if item.startswith("database:"))
        declined = runner.invoke(args=["doctor", "--remove", found[database_id]], input="n\n")
        assert declined.exit_code != 0 and "Nothing was removed" in declined.output
        assert database_exists(mariadb_admin, database_id.split(":", 1)[1])

        # the database on the administrators' page, with its confirmation
        auth.login()
        page = client.get("/admin/doctor").get_data(as_text=True)
        assert database_id.split(":", 1)[1] in page and "Remove…" in page
        confirm_path = f"/admin/doctor/remove?server_id={server_id}&orphan={database_id}"
        assert "cannot be undone" in client.get(confirm_path).get_data(as_text=True)
        response = auth.submit(confirm_path, {"server_id": str(server_id),
                                              "orphan": database_id})
        assert response.status_code == 302
        with app.app_context():
            removal = db.session.scalars(select(Task).where(Task.type == "orphan-remove")).one()
        wait_for(app, lambda: db.session.get_one(Task, removal.id).status.finished,
                 "the removal of the database")
        with app.app_context():
            assert db.session.get_one(Task, removal.id).status == TaskStatus.SUCCESS, \
                log_text(removal.id)

        # the others in the CLI, by id: confirmed at the prompt, the last one with --yes
        others = sorted(planted - {database_id})
        for item in others:
            answer = ["--yes"] if item == others[-1] else []
            done = runner.invoke(args=["doctor", "--remove", item, "--timeout", "120", *answer],
                                 input=None if answer else "y\n")
            assert done.exit_code == 0, done.output
            assert "Removed the" in done.output
            assert ("[y/N]" in done.output) != bool(answer), done.output
        again = runner.invoke(args=["doctor", "--timeout", "120"])
        assert again.exit_code == 0, again.output
        assert not planted & set(listed(again.output)), again.output
        # the site is still served, its database still there
        apache_instance.wait_for_body(f"<title>{SITE}</title>", host=SITE)
        assert database_exists(mariadb_admin, site_db)
    finally:
        assert daemon.stop() == 0
        drop_site_database(mariadb_admin, site_db)
    name = database_id.split(":", 1)[1]
    assert not database_exists(mariadb_admin, name) and not user_exists(mariadb_admin, name)
    for item in planted:
        kind, _, path = item.partition(":")
        if kind in ("site_folder", "vhost", "backup"):
            assert not Path(path).exists(), path
    assert not list(aegir_root.glob("contexts/gone-*.json"))
    assert (aegir_root / "contexts" / f"{SITE}.json").exists()
    assert "Traceback" not in daemon.log(), daemon.log()


def drop_site_database(admin: MariaDBAdmin, name: str) -> None:
    """Drop the test site's database and user (the test leaves nothing on the shared server)."""
    connection = admin.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            for host in ("localhost", "127.0.0.1"):
                cursor.execute("DROP USER IF EXISTS %s@%s", (name, host))
    finally:
        connection.close()


def database_exists(admin: MariaDBAdmin, name: str) -> bool:
    """Whether the database ``name`` exists on the test MariaDB."""
    return _one(admin, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", name)


def user_exists(admin: MariaDBAdmin, name: str) -> bool:
    """Whether an account named ``name`` exists on the test MariaDB."""
    return _one(admin, "SELECT 1 FROM mysql.user WHERE User = %s", name)


def _one(admin: MariaDBAdmin, query: str, value: str) -> bool:
    connection = admin.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, (value,))
            return cursor.fetchone() is not None
    finally:
        connection.close()
