"""A script that uses only ``hostmaster`` commands with ``--json --wait``, as an admin writes
one: it adds a server (a private Apache and the machine's MariaDB), two platforms of Debian's
WordPress and a site, backs the site up, migrates it, restores it, moves every site of its
platform back to the first one, disables and deletes it,
reading each result from the JSON, while a real dispatcher daemon runs the tasks through
provision. The panel's refusals come back as exit code 1 with the panel's sentence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hostmaster.extensions import db
from hostmaster.services import settings
from tests.fixtures.console import CONSOLE_STORE, Console
from tests.fixtures.platforms import make_wordpress_platform
from tests.fixtures.stack import ApacheInstance, MariaDBAdmin
from tests.hostmaster.site_helpers import Mailbox, mailbox

__all__ = ["mailbox"]  # the fixture, imported for pytest
pytestmark = [CONSOLE_STORE, pytest.mark.slow]

DOMAIN = "blog.cli.test"


@pytest.fixture
def site_databases(mariadb_admin: MariaDBAdmin) -> Iterator[None]:
    """Drop what a failed run leaves of the site's database and user."""
    yield
    connection = mariadb_admin.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW DATABASES LIKE 'blogclitest%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP DATABASE `{name}`")
            cursor.execute("SELECT User, Host FROM mysql.user WHERE User LIKE 'blogclitest%'")
            for user, host in cursor.fetchall():
                cursor.execute("DROP USER %s@%s", (user, host))
    finally:
        connection.close()


def use_mailbox(console: Console, box: Mailbox) -> None:
    """The welcome mail goes to the local SMTP server (there is no settings command yet)."""
    app = console.app()
    with app.app_context():
        settings.put("smtp_host", "127.0.0.1")
        settings.put("smtp_port", box.port)
        settings.put("mail_from", "hostmaster@example.com")
        db.session.commit()
        db.engine.dispose()


def served(apache: ApacheInstance) -> int:
    """The status the site's domain answers with on the private Apache."""
    return apache.get("/", host=DOMAIN)[0]


def test_a_script_of_hostmaster_commands_runs_a_site_through_its_whole_life(
        console: Console, apache_instance: ApacheInstance, mariadb_admin: MariaDBAdmin,
        mailbox: Mailbox, site_databases: None) -> None:
    use_mailbox(console, mailbox)
    console.start_dispatcher()
    apache, admin = apache_instance, mariadb_admin
    hm: Any = console.json
    # Where a disabled site sends its visitors: set first, as `make run` would have.
    assert console.hostmaster("settings", "set", "public_url",
                              "https://panel.example.org").returncode == 0

    added = hm("server", "add", "localhost", "--master", "--ip", "127.0.0.1",
               "--http", "apache", "--http-port", str(apache.port),
               "--http-restart-cmd", apache.restart_cmd,
               "--http-configtest-cmd", apache.configtest_cmd,
               "--http-include-dir", str(apache.include_dir),
               "--db", "mysql", "--db-host", admin.host, "--db-port", str(admin.port),
               "--db-user", admin.user, "--wait",
               env={"HOSTMASTER_DB_PASSWORD": admin.password})
    assert added["task"]["status"] == "success"
    assert added["server"]["status"] == "enabled"
    assert admin.password not in str(added)

    for name in ("wp1", "wp2"):
        root = make_wordpress_platform(console.root / "platforms" / name)
        platform = hm("platform", "add", name, "--root", str(root), "--web-server",
                      "localhost", "--wait")
        assert platform["task"]["status"] == "success"
        assert (platform["platform"]["status"], platform["platform"]["application"]) == (
            "enabled", "wordpress")
    wp2_id = hm("platform", "show", "wp2")["id"]

    created = hm("site", "add", DOMAIN, "--platform", "wp1", "--db-server", "localhost",
                 "--wait")
    assert created["task"]["type"] == "install" and created["task"]["status"] == "success"
    assert created["site"]["status"] == "enabled"
    assert served(apache) == 200
    assert len(mailbox.messages) == 1

    # The panel's refusal, word for word: an enabled site is disabled before it is deleted.
    refused = hm("site", "delete", DOMAIN, expect=1)
    assert refused == {"error": f"Disable {DOMAIN} before deleting it (setting "
                                "require_disable_before_delete)."}

    backup = hm("site", "backup", DOMAIN, "--wait")
    assert (backup["type"], backup["status"]) == ("backup", "success")
    backups = hm("backup", "list", DOMAIN)
    assert backups["total"] == 1
    first_backup = backups["items"][0]
    assert first_backup["file"].endswith(".tar.gz") and first_backup["size"] > 0

    moved = hm("site", "migrate", DOMAIN, "--platform", "wp2", "--wait")
    assert (moved["type"], moved["status"]) == ("migrate", "success")
    assert moved["arguments"]["target_platform"] == wp2_id
    assert hm("site", "show", DOMAIN)["platform_id"] == wp2_id
    assert served(apache) == 200

    restored = hm("backup", "restore", DOMAIN, str(first_backup["id"]), "--wait")
    assert (restored["type"], restored["status"]) == ("restore", "success")
    assert restored["arguments"] == {"backup_id": first_backup["id"]}
    assert served(apache) == 200

    # Every site of wp2 back to wp1 at once (the platform's "Migrate sites").
    wp1_id = hm("platform", "show", "wp1")["id"]
    assert [item["moves"] for item in hm("platform", "migrate", "wp2", "--platform", "wp1",
                                         "--plan")["items"]] == [True]
    back = hm("platform", "migrate", "wp2", "--platform", "wp1", "--wait")
    assert [(t["type"], t["status"]) for t in back["queued"]] == [("migrate", "success")]
    assert hm("site", "show", DOMAIN)["platform_id"] == wp1_id
    assert served(apache) == 200

    disabled = hm("site", "disable", DOMAIN, "--wait")
    assert disabled["status"] == "success"
    assert hm("site", "show", DOMAIN)["status"] == "disabled"
    assert served(apache) == 302

    deleted = hm("site", "delete", DOMAIN, "--wait")
    assert deleted["status"] == "success"
    assert hm("site", "show", DOMAIN)["status"] == "deleted"
    assert served(apache) == 404

    history = hm("task", "list", "--site", DOMAIN, "--limit", "50")
    types = [task["type"] for task in reversed(history["items"])]
    assert types == ["install", "backup", "migrate", "restore", "migrate", "disable", "delete"]
    assert all(task["status"] == "success" for task in history["items"])
    # Nothing is left queued or running behind the script's back.
    assert hm("task", "list", "--status", "queued")["total"] == 0
