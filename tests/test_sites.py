"""Sites end to end: created in the web UI, installed by the dispatcher through provision on
real MariaDB and the private Apache or nginx instance, mailed to a local SMTP server, then
disabled, enabled and deleted; aliases with and without redirection.

WordPress is Debian's real package; the Drupal platform is the generated Drupal 7 STAND-IN of
tests/fixtures/platforms.py (Drupal core is in no registry reachable here).
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import Platform, PlatformStatus, Server, Site, SiteStatus, Task, TaskStatus
from hostmaster.services import settings
from hostmaster.services.platforms import create_platform
from hostmaster.services.servers import ServiceSpec, create_server
from tests.fixtures.app import AuthActions, one_store
from tests.fixtures.drupal_core import CORES, UnpackedCores
from tests.fixtures.platforms import make_drupal7_platform, make_wordpress_platform
from tests.fixtures.site_browser import SiteBrowser, set_wordpress_password_and_log_in
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.stack_process import poll
from tests.hostmaster.helpers import log_text
from tests.hostmaster.pages import text
from tests.hostmaster.site_helpers import Mailbox, mailbox, use_mailbox
from tests.provision.helpers import provision

# These test provision and the real stack through the app, not the store (see conftest).
pytestmark = one_store

__all__ = ["mailbox"]  # the fixture, imported for pytest

CATCH_ALL = "No site is configured for this address."
#: The public address an admin gives on the Settings page (a name and a port, not loopback).
SETTINGS_URL = "https://panel.hosting-example.test:8443"


def fetch(instance: Any, path: str, host: str,
          cookies: str = "") -> tuple[int, dict[str, str], str]:
    """GET from the web server instance without following redirects: status, headers, body."""
    connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=30)
    try:
        headers = {"Host": host, **({"Cookie": cookies} if cookies else {})}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        found = {key.lower(): value for key, value in response.getheaders()}
        return response.status, found, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def master(kind: str, instance: Any, admin: MariaDBAdmin) -> Server:
    """``@server_master`` with the private web server (and its HTTPS port, where sites' HTTPS
    vhosts listen) and the real MariaDB, verified."""
    options: dict[str, Any] = {
        "http_configtest_cmd": instance.configtest_cmd,
        "http_include_dir": str(instance.include_dir),
        "http_reload_settle": str(instance.reload_settle),  # a string: 0 is no option
        "https_port": str(instance.https_port),
    }
    if kind == "nginx":
        options["php_fpm_socket"] = str(instance.php_fpm_socket)
    server = create_server(
        "localhost",
        human_name="Master",
        master=True,
        services={
            "http": ServiceSpec(kind, port=instance.port, restart_cmd=instance.restart_cmd,
                                options=options),
            "db": ServiceSpec("mysql", port=admin.port, db_user=admin.user,
                              db_password=admin.password, options={"db_host": admin.host}),
        },
    )
    return server


def ready(app: Flask, kind: str, instance: Any, admin: MariaDBAdmin,
          platform_root: Path) -> tuple[int, int]:
    """A verified master server and platform: their ids."""
    server = master(kind, instance, admin)
    with instance.expect_reload():
        dispatch_once(app)
    platform = create_platform(platform_root.name, str(platform_root), server)
    dispatch_once(app)
    db.session.expire_all()
    checked = db.session.get_one(Platform, platform.id)
    assert checked.status == PlatformStatus.ENABLED, log_text(
        db.session.scalars(select(Task.id).order_by(Task.id.desc())).first() or 0
    )
    return server.id, platform.id


def create_in_ui(auth: AuthActions, uri: str, server_id: int, platform_id: int,
                 profile: str, **extra: str) -> int:
    """Fill in and submit the site form; the new site's id."""
    response = auth.submit("/sites/add", {
        "uri": uri, "client": "", "profile": profile, "platform": str(platform_id),
        "language": "en", "db_server": str(server_id), "aliases": "", **extra,
    })
    assert response.status_code == 302, text(response.get_data(as_text=True))
    return int(response.location.rsplit("/", 1)[1])


def run_task(app: Flask, instance: Any, site_id: int, type_name: str) -> Task:
    """Run the queued ``type_name`` task of the site; it must succeed."""
    with instance.expect_reload():
        dispatch_once(app)
    db.session.expire_all()
    task = db.session.scalars(
        select(Task).where(Task.entity_kind == "site", Task.entity_id == site_id,
                           Task.type == type_name).order_by(Task.id.desc())
    ).first()
    assert task is not None
    assert task.status == TaskStatus.SUCCESS, log_text(task.id)
    return task


def confirm(auth: AuthActions, site_id: int, type_name: str) -> None:
    """Run a task through its confirm page, as the Run button does."""
    path = f"/tasks/confirm/site/{site_id}/{type_name}"
    assert auth.submit(path, {}).status_code == 302


def database_exists(admin: MariaDBAdmin, name: str) -> bool:
    connection = admin.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW DATABASES LIKE %s", (name,))
            return cursor.fetchone() is not None
    finally:
        connection.close()


def user_exists(admin: MariaDBAdmin, name: str) -> bool:
    connection = admin.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM mysql.user WHERE User = %s", (name,))
            return cursor.fetchone() is not None
    finally:
        connection.close()


@pytest.mark.parametrize("kind", ["apache", "nginx"])
def test_a_wordpress_site_made_in_the_ui_is_served_and_its_welcome_mail_logs_in(
    app: Flask, client: FlaskClient, auth: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, mailbox: Mailbox, kind: str, request: pytest.FixtureRequest,
) -> None:
    instance = request.getfixturevalue(f"{kind}_instance")
    uri = f"wp-{kind}.example.test"
    root = make_wordpress_platform(aegir_root / "platforms" / "wordpress")
    auth.login()
    with app.app_context():
        use_mailbox(mailbox)
        server_id, platform_id = ready(app, kind, instance, mariadb_admin, root)
        site_id = create_in_ui(auth, uri, server_id, platform_id, profile="")
        run_task(app, instance, site_id, "install")
        site = db.session.get_one(Site, site_id)
        assert site.status == SiteStatus.ENABLED and site.db_name
        db_name = site.db_name
    try:
        body = instance.wait_for_body(f"<title>{uri}", host=uri)
        assert "<title>" in body
        (mail,) = mailbox.messages
        assert mail["To"] == "admin@example.com"
        found = re.search(r"http://\S+", mail.get_content().split("this link", 1)[1])
        assert found is not None, mail.get_content()
        link = found.group(0)
        assert link.startswith(f"http://{uri}/wp-login.php?action=rp&key=")
        page = text(client.get(f"/sites/{site_id}").get_data(as_text=True))
        assert f"Log in to {uri}" in page
        browser = SiteBrowser(instance.port, uri)
        dashboard = set_wordpress_password_and_log_in(browser, link, "A-long-new-password-4812")
        assert uri in dashboard
    finally:
        with app.app_context():
            site = db.session.get_one(Site, site_id)
            site.status = SiteStatus.DISABLED
            db.session.commit()
            confirm(auth, site_id, "delete")
            run_task(app, instance, site_id, "delete")
    assert not database_exists(mariadb_admin, db_name)


@pytest.fixture
def real_drupal7(app: Flask, drupal_cores: UnpackedCores,
                 request: pytest.FixtureRequest) -> Iterator[Path]:
    """The session's platform of real Drupal 7 core (the panel's platform base path is the
    folder it lies in); its sites are put back afterwards."""
    request.node.user_properties.append(("drupal_core", CORES["drupal7"].version))
    root, _second = drupal_cores.platforms("drupal7")
    app.config["PLATFORM_BASE_PATH"] = str(drupal_cores.platform_base)
    try:
        yield root
    finally:
        drupal_cores.reset_sites("drupal7")


@pytest.mark.real_drupal
@pytest.mark.parametrize("kind", ["apache", "nginx"])
def test_a_drupal_site_is_disabled_enabled_and_deleted_from_the_ui(
    app: Flask, client: FlaskClient, auth: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, mailbox: Mailbox, kind: str, request: pytest.FixtureRequest,
    real_drupal7: Path,
) -> None:
    instance = request.getfixturevalue(f"{kind}_instance")
    uri = f"d7-{kind}.example.test"
    root = real_drupal7
    title = f"| {uri}</title>"  # Drupal's: "Welcome to <site name> | <site name>"
    auth.login()
    with app.app_context():
        use_mailbox(mailbox)
        server_id, platform_id = ready(app, kind, instance, mariadb_admin, root)
        site_id = create_in_ui(auth, uri, server_id, platform_id, profile="standard")
        run_task(app, instance, site_id, "install")
        db_name = db.session.get_one(Site, site_id).db_name
    assert title in instance.wait_for_body(title, host=uri)
    (mail,) = mailbox.messages
    found = re.search(rf"http://{re.escape(uri)}/user/reset/\S+", mail.get_content())
    assert found is not None, mail.get_content()
    link = found.group(0)
    # Clean URLs: nginx's vhost routes them to index.php; on Apache the platform's .htaccess
    # (included by platform verify) does, as Drupal's own does. The link logs the
    # administrator in: to the account form, with a session.
    status, headers, _ = fetch(instance, link.removeprefix(f"http://{uri}"), uri)
    assert status == 302 and "/user/1" in headers["location"], (status, headers)

    # The admin gives the panel's public address on the Settings page; the disabled site's
    # visitors are sent there (the real web server's redirect).
    saved = auth.submit("/admin/settings", {"panel-public_url": SETTINGS_URL},
                        post_path="/admin/settings/panel")
    assert saved.status_code == 302
    confirm(auth, site_id, "disable")
    with app.app_context():
        run_task(app, instance, site_id, "disable")
    status, headers, _ = fetch(instance, "/node/1", uri)
    assert status in (301, 302, 307)
    assert headers["location"] == f"{SETTINGS_URL}/hosting/disabled/{uri}"
    disabled = client.get(f"/hosting/disabled/{uri}")
    assert "This site is disabled." in text(disabled.get_data(as_text=True))

    assert auth.submit(f"/sites/{site_id}", {}, post_path=f"/tasks/run/site/{site_id}/enable")
    with app.app_context():
        run_task(app, instance, site_id, "enable")
    assert title in instance.wait_for_body(title, host=uri)

    confirm(auth, site_id, "disable")
    with app.app_context():
        run_task(app, instance, site_id, "disable")
    confirm(auth, site_id, "delete")
    with app.app_context():
        run_task(app, instance, site_id, "delete")
        site = db.session.get_one(Site, site_id)
        assert site.status == SiteStatus.DELETED
    assert not database_exists(mariadb_admin, db_name) and not user_exists(mariadb_admin, db_name)
    assert not (root / "sites" / uri).exists()
    assert not list(aegir_root.glob(f"config/server_master/*/vhost.d/{uri}"))
    assert not (aegir_root / "contexts" / f"{uri}.json").exists()
    assert CATCH_ALL in instance.wait_for_body(CATCH_ALL, host=uri)
    page = text(client.get(f"/sites/{site_id}").get_data(as_text=True))
    assert "This site is deleted." in page
    assert "Delete Success" in page and "Install Success" in page
    backups = text(client.get(f"/sites/{site_id}").get_data(as_text=True).split(
        'id="backups"', 1)[1].split("</section>", 1)[0])
    assert "Pre-disable" in backups and "Pre-delete" in backups


@pytest.mark.parametrize("kind", ["apache", "nginx"])
def test_aliases_serve_or_redirect_automatic_ones_answer_and_a_rename_keeps_the_old_domain(
    app: Flask, client: FlaskClient, auth: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, mailbox: Mailbox, kind: str, request: pytest.FixtureRequest,
) -> None:
    instance = request.getfixturevalue(f"{kind}_instance")
    root = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    title = "<title>main.example.test</title>"  # the stand-in's site name: its domain
    auth.login()
    with app.app_context():
        use_mailbox(mailbox)
        settings.save({"alias_automatic_subdomain": "hosting.example.test",
                       "alias_automatic_www": True})
        server_id, platform_id = ready(app, kind, instance, mariadb_admin, root)
        site_id = create_in_ui(auth, "main.example.test", server_id, platform_id, "standard",
                               aliases="other.example.test", redirect_aliases="old.example.test")
        run_task(app, instance, site_id, "install")
    try:
        status, headers, _ = fetch(instance, "/some/page?q=1", "old.example.test")
        assert status == 301
        assert headers["location"] == "http://main.example.test/some/page?q=1"
        for host in ("other.example.test", "www.main.example.test",
                     "main-example-test.hosting.example.test"):
            assert title in instance.wait_for_body(title, host=host), host
        page = text(client.get(f"/sites/{site_id}").get_data(as_text=True))
        assert "main-example-test.hosting.example.test (automatic)" in page

        assert auth.submit(f"/tasks/confirm/site/{site_id}/migrate", {
            "target_platform": platform_id, "target_db_server": server_id,
            "new_uri": "renamed.example.test", "keep_old_uri": "y"}).status_code == 302
        with app.app_context():
            run_task(app, instance, site_id, "migrate")
        # (`nginx -s reload` returns before nginx has read the new configuration: ask again
        # until it has, a moment later under load.)
        def redirects_to_the_new_domain(host: str, path: str) -> bool:
            status, headers, _ = fetch(instance, path, host)
            return status == 301 and headers.get("location") == (
                f"http://renamed.example.test{path}")

        for host, path in (("main.example.test", "/a/page"), ("old.example.test", "/")):
            assert poll(lambda host=host, path=path: redirects_to_the_new_domain(host, path),
                        15), (host, fetch(instance, path, host)[:2])
        # The rename rewrote the site name (it was the old domain) with the domain.
        title = "<title>renamed.example.test</title>"
        for host in ("renamed.example.test", "other.example.test", "www.renamed.example.test",
                     "renamed-example-test.hosting.example.test"):
            assert title in instance.wait_for_body(title, host=host), host
        assert fetch(instance, "/", "www.main.example.test")[2].count(CATCH_ALL) == 1
        page = text(client.get(f"/sites/{site_id}").get_data(as_text=True))
        assert "main.example.test (redirects)" in page
    finally:
        with app.app_context():
            site = db.session.get_one(Site, site_id)
            site.status = SiteStatus.DISABLED
            db.session.commit()
            confirm(auth, site_id, "delete")
            run_task(app, instance, site_id, "delete")


@pytest.mark.parametrize("kind", ["apache", "nginx"])
def test_a_site_made_with_provision_alone_is_found_imported_and_managed_from_the_ui(
    app: Flask, client: FlaskClient, auth: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, mailbox: Mailbox, kind: str, request: pytest.FixtureRequest,
) -> None:
    instance = request.getfixturevalue(f"{kind}_instance")
    uri = f"legacy-{kind}.example.test"
    root = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    auth.login()
    with app.app_context():
        use_mailbox(mailbox)
        server_id, platform_id = ready(app, kind, instance, mariadb_admin, root)
    # Made by hand with the provision CLI, on the contexts the panel saved: the panel knows
    # nothing of it.
    saved = provision(aegir_root, "save", f"@{uri}", "--context_type=site", f"--uri={uri}",
                      "--platform=@platform_drupal7", "--db_server=@server_master",
                      "--profile=minimal", "--language=en")
    assert saved.returncode == 0, saved.stderr
    with instance.expect_reload():
        installed = provision(aegir_root, f"@{uri}", "install", timeout=120)
    assert installed.returncode == 0, installed.stderr
    db_name = installed.result["object"]["db_name"]
    instance.wait_for_body(f"<title>{uri}</title>", host=uri)

    assert auth.submit(f"/platforms/{platform_id}", {},
                       post_path=f"/tasks/run/platform/{platform_id}/verify")
    with app.app_context():
        dispatch_once(app)  # the platform verify finds the site and queues its import
        site = db.session.scalars(select(Site).where(Site.uri == uri)).one()
        site_id = site.id
        task = run_task(app, instance, site_id, "import")
        site = db.session.get_one(Site, site_id)
        assert (site.status, site.db_name, site.profile) == (SiteStatus.ENABLED, db_name,
                                                             "minimal")
        assert "db_passwd" not in log_text(task.id)
    page = text(client.get(f"/sites/{site_id}").get_data(as_text=True))
    assert "Import Success" in page and uri in page
    assert f"<title>{uri}</title>" in instance.wait_for_body(f"<title>{uri}</title>", host=uri)

    assert auth.submit(f"/sites/{site_id}", {}, post_path=f"/tasks/run/site/{site_id}/verify")
    with app.app_context():
        run_task(app, instance, site_id, "verify")
    confirm(auth, site_id, "disable")
    with app.app_context():
        run_task(app, instance, site_id, "disable")
    confirm(auth, site_id, "delete")
    with app.app_context():
        run_task(app, instance, site_id, "delete")
    assert not database_exists(mariadb_admin, db_name) and not user_exists(mariadb_admin, db_name)
    assert CATCH_ALL in instance.wait_for_body(CATCH_ALL, host=uri)


def test_hostmaster_import_makes_a_provision_site_a_record_whose_verify_succeeds(
    app: Flask, client: FlaskClient, auth: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, apache_instance: Any, runner: Any,
) -> None:
    uri = "imported.example.test"
    root = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    with app.app_context():
        ready(app, "apache", apache_instance, mariadb_admin, root)
    saved = provision(aegir_root, "save", f"@{uri}", "--context_type=site", f"--uri={uri}",
                      "--platform=@platform_drupal7", "--db_server=@server_master")
    assert saved.returncode == 0, saved.stderr
    with apache_instance.expect_reload():
        installed = provision(aegir_root, f"@{uri}", "install", timeout=120)
    assert installed.returncode == 0, installed.stderr

    imported = runner.invoke(args=["import", f"@{uri}"])
    assert imported.exit_code == 0, imported.output
    assert f"Created site {uri} from @{uri}; its verify is queued." in imported.output
    assert "Updated server Master from @server_master." in imported.output
    with app.app_context():
        site_id = db.session.scalars(select(Site.id).where(Site.uri == uri)).one()
        run_task(app, apache_instance, site_id, "verify")
        site = db.session.get_one(Site, site_id)
        assert site.status == SiteStatus.ENABLED
        assert site.db_name == installed.result["object"]["db_name"]
    assert f"<title>{uri}</title>" in apache_instance.wait_for_body(f"<title>{uri}</title>",
                                                                   host=uri)
    auth.login()
    confirm(auth, site_id, "disable")
    with app.app_context():
        run_task(app, apache_instance, site_id, "disable")
    confirm(auth, site_id, "delete")
    with app.app_context():
        run_task(app, apache_instance, site_id, "delete")
    assert not database_exists(mariadb_admin, site.db_name)
