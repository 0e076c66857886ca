"""Backup, delete, verify (and its dry run), failed installs and import of a site."""

from __future__ import annotations

import grp
import hashlib
import re
import shutil
import tarfile
from pathlib import Path

from tests.fixtures.stack_process import poll
from tests.provision.sites_support import SiteStack, unique_uri
from tests.provision.standin_app import BROKEN_PROFILE, title_of


def group_of(path: Path) -> str:
    """The name of the group ``path`` belongs to."""
    return grp.getgrgid(path.stat().st_gid).gr_name


def test_a_backup_holds_the_dump_at_its_root_and_the_settings_uncloaked(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()
    site_stack.install(uri)
    password = site_stack.context(uri)["db_passwd"]

    result = site_stack.must(f"@{uri}", "backup").result

    archive = Path(result["backup_file"])
    assert archive.parent == site_stack.root / "backups"
    assert re.fullmatch(rf"{re.escape(uri)}-\d{{8}}\.\d{{6}}\.tar\.gz", archive.name)
    assert result["backup_file_size"] == archive.stat().st_size
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        dump = tar.extractfile("database.sql").read().decode()  # type: ignore[union-attr]
        settings = tar.extractfile("settings.php").read().decode()  # type: ignore[union-attr]
    assert {"database.sql", "settings.php", "files", "private"} <= names
    assert "CREATE TABLE `standin_site`" in dump and title_of(uri) in dump
    assert password in settings and "$_SERVER" not in settings
    assert "$account['db_passwd']" in (site_stack.site_path(uri) / "settings.php").read_text()
    assert not (site_stack.site_path(uri) / "database.sql").exists()


def test_delete_removes_database_user_folder_vhost_credentials_and_context_and_a_second_warns(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()
    name = site_stack.install(uri).result["db_name"]
    (site_stack.site_path(uri) / "settings.php").chmod(0o444)
    site_stack.site_path(uri).chmod(0o555)  # as Drupal leaves it

    with site_stack.instance.expect_reload():
        deleted = site_stack.must(f"@{uri}", "delete")

    assert Path(deleted.result["backup_file"]).is_file()
    assert deleted.messages("warning") == []
    assert site_stack.databases_like(uri) == [] and site_stack.users_named(name) == []
    assert not site_stack.site_path(uri).exists()
    assert not site_stack.vhost(uri).exists()
    assert not site_stack.credentials(uri).exists()
    assert not (site_stack.root / "contexts" / f"{uri}.json").exists()
    # (A worker of the disabled vhost of the delete's middle may finish a connection late.)
    assert poll(lambda: site_stack.instance.get("/", host=uri)[0] == 404, 15)
    # The front end sends the context again with the next task; every piece is gone now.
    site_stack.save_site(uri, f"--db_name={name}", f"--db_user={name}")
    again = site_stack.must(f"@{uri}", "delete")
    warnings = "\n".join(again.messages("warning"))
    for piece in ("No backup", f"database {name}", f"database user {name}", "site folder",
                  "vhost", "credentials file"):
        assert piece in warnings
    assert not (site_stack.root / "contexts" / f"{uri}.json").exists()


def checksums(*folders: Path) -> dict[Path, tuple[str, int]]:
    """Content hash and mode of every file and folder under ``folders``."""
    found = {}
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            data = path.read_bytes() if path.is_file() else b""
            found[path] = (hashlib.sha256(data).hexdigest(), path.stat().st_mode)
    return found


def test_verify_dry_run_prints_the_diffs_and_changes_nothing(site_stack: SiteStack) -> None:
    uri = unique_uri()
    site_stack.install(uri)
    settings = site_stack.site_path(uri) / "settings.php"
    settings.chmod(0o640)
    settings.write_text("<?php // edited by hand\n")
    vhost = site_stack.vhost(uri)
    vhost.write_text(vhost.read_text().replace("ServerName", "ServerName  ", 1)
                     .replace("server_name", "server_name  ", 1))
    secret = site_stack.credentials(uri)
    secret.write_text(secret.read_text().replace('"db_port"', '"db_port" '))
    (site_stack.site_path(uri) / "files").chmod(0o700)
    before = checksums(site_stack.root, site_stack.platform_root)
    workers = site_stack.instance.process_ids()

    ran = site_stack.must(f"@{uri}", "verify", "--dry-run")

    assert checksums(site_stack.root, site_stack.platform_root) == before
    # A reload would replace every worker; Apache may add spare ones meanwhile.
    assert set(workers) <= set(site_stack.instance.process_ids())
    text = ran.text
    assert f"--- {settings}" in text and "+$db = ['name' => $account['db_name']" in text
    assert f"--- {vhost} (now)" in text and f"+++ {vhost} (would be)" in text
    assert f"Would write {secret} (not shown" in text
    assert "Would set" in text and "files" in text
    assert site_stack.context(uri)["db_passwd"] not in text
    assert set(ran.result["changes"]) >= {str(settings), str(vhost), str(secret)}


def test_verify_repairs_settings_vhost_credentials_and_folder_modes(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()
    site_stack.install(uri)
    settings = site_stack.site_path(uri) / "settings.php"
    settings.chmod(0o640)
    settings.write_text("<?php // edited by hand\n")
    (site_stack.site_path(uri) / "files").chmod(0o700)
    secret = site_stack.credentials(uri)
    secret.chmod(0o644)
    shutil.chown(secret, group="root")
    secret.parent.chmod(0o755)

    with site_stack.instance.expect_reload():
        site_stack.must(f"@{uri}", "verify")

    assert "$account['db_name']" in settings.read_text()
    assert settings.stat().st_mode & 0o777 == 0o440
    assert (secret.stat().st_mode & 0o7777, group_of(secret)) == (0o640, "www-data")
    assert (secret.parent.stat().st_mode & 0o7777, group_of(secret.parent)) == (0o2710, "www-data")
    assert (site_stack.site_path(uri) / "files").stat().st_mode & 0o7777 == 0o2770
    assert site_stack.instance.wait_for_body(title_of(uri), host=uri)


def test_a_failed_application_install_removes_everything_it_created(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()
    site_stack.save_site(uri, f"--profile={BROKEN_PROFILE}")
    saved = (site_stack.root / "contexts" / f"{uri}.json").read_text()

    ran = site_stack.run(f"@{uri}", "install")

    assert ran.status == 1
    assert "failed on purpose" in ran.text and "everything it changed was undone" in ran.text
    assert site_stack.databases_like(uri) == []
    assert site_stack.users_named(uri.replace("-", "").replace(".", "")[:16]) == []
    assert not site_stack.site_path(uri).exists()
    assert not site_stack.vhost(uri).exists() and not site_stack.credentials(uri).exists()
    # The context is as it was saved before the install: no credentials, ready for another try.
    assert (site_stack.root / "contexts" / f"{uri}.json").read_text() == saved
    assert not list((site_stack.root / "journal").glob("*.jsonl"))
    site_stack.instance.configtest()


def test_install_refuses_a_folder_that_already_holds_settings(site_stack: SiteStack) -> None:
    uri = unique_uri()
    site_stack.site_path(uri).mkdir()
    (site_stack.site_path(uri) / "settings.php").write_text("<?php // someone else's\n")
    site_stack.save_site(uri)

    ran = site_stack.run(f"@{uri}", "install")

    assert ran.status == 1 and "already holds a site's settings" in ran.text
    assert (site_stack.site_path(uri) / "settings.php").read_text() == "<?php // someone else's\n"
    assert site_stack.databases_like(uri) == []


def test_login_reset_returns_a_new_link(site_stack: SiteStack) -> None:
    uri = unique_uri()
    first = site_stack.install(uri).result["login_link"]

    link = site_stack.must(f"@{uri}", "login-reset").result["login_link"]

    assert link.startswith(f"http://{uri}/login/") and link != first


def test_import_reads_the_credentials_of_a_live_site_from_its_credentials_file(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()
    site_stack.install(uri)
    installed = site_stack.context(uri)
    # The front end knows only the uri of a site that a platform verify found.
    (site_stack.root / "contexts" / f"{uri}.json").unlink()
    site_stack.save_site(uri)

    ran = site_stack.must(f"@{uri}", "import")

    stored = site_stack.context(uri)
    assert {key: stored[key] for key in ("db_name", "db_user", "db_passwd")} == {
        key: installed[key] for key in ("db_name", "db_user", "db_passwd")}
    assert ran.result["db_name"] == installed["db_name"]
    assert (ran.result["profile"], ran.result["language"]) == ("standard", "en")


def test_a_backups_dump_loads_into_a_new_database(
    site_stack: SiteStack, tmp_path: Path
) -> None:
    from provision.services.db.connection import Credentials
    from provision.services.db.dump import load_dump
    from provision.transport import LocalTransport

    uri = unique_uri()
    site_stack.install(uri)
    archive = site_stack.must(f"@{uri}", "backup").result["backup_file"]
    with tarfile.open(archive) as tar:
        tar.extract("database.sql", tmp_path)
    admin = site_stack.admin
    copy = f"hm_copy_{uri.split('-')[1][:6]}"
    connection = admin.connect()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{copy}`")
    try:
        load_dump(LocalTransport(), Credentials(admin.host, admin.port, admin.user,
                                                admin.password), copy, tmp_path / "database.sql")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM `{copy}`.standin_site WHERE name = 'title'")
            assert cursor.fetchone() == (title_of(uri),)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE `{copy}`")
        connection.close()
