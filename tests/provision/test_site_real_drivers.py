"""Sites of real applications through the backend protocol, as the dispatcher runs them, served
by Apache and by nginx: real Drupal 7.103 and 9.1.0 core (tests/fixtures/drupal_core.py) and
Debian's WordPress. One site lives its whole life: install (and its one-time login link), cron,
statistics, backup, restore, content linking to itself and showing an uploaded image, clone,
migrate to a second platform of the same code under a new domain, disable, enable, delete. The
clone and the renamed site name their new domain: the content's links answer there, and their
databases name the old domain nowhere (WordPress's guids excepted, as the log reports).

``--real-drupal PATH`` (repeatable: a Drupal 7 folder, or Drupal 8+ with its ``vendor/``) runs
the same test on a copy of another core as well.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.fixtures.drupal_core import CORES, UnpackedCores
from tests.fixtures.platforms import make_wordpress_platform
from tests.fixtures.stack_process import poll
from tests.provision.helpers import Run, provision
from tests.provision.site_content import (
    LinkedContent,
    add_linked_content,
    assert_content_answers_under,
    assert_old_domain_only_in_guids,
    point_siteurl_at_an_alias,
)
from tests.provision.sites_support import (
    MASTER_URL,
    SiteStack,
    command_lines_sampled,
    unique_uri,
)


def backend(stack: SiteStack, uri: str, command: str, *, platform: str = "@platform_app",
            roots: dict[str, Path] | None = None, options: dict[str, Any] | None = None,
            **site: Any) -> Run:
    """Run ``provision --backend @uri COMMAND`` with the contexts the dispatcher sends: the
    server, the platforms (``roots``: name → folder; @platform_app by default), the site."""
    roots = roots or {"@platform_app": stack.platform_root}
    payload = {
        "contexts": [
            {"name": "@server_master",
             "properties": {"context_type": "server", **stack.server_properties()}},
            *({"name": name, "properties": {"context_type": "platform", "root": str(root)}}
              for name, root in roots.items()),
            {"name": f"@{uri}", "properties": {
                "context_type": "site", "uri": uri, "platform": platform,
                "db_server": "@server_master", "client_name": "admin",
                "client_email": "owner@example.com", "profile": "standard", "language": "en",
                "aliases": [], "redirection": False, **site}},
        ],
        "options": options or {},
    }
    return provision(stack.root, f"@{uri}", command, backend=True, payload=payload,
                     timeout=300)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """WordPress, the real Drupal cores, then every ``--real-drupal`` folder."""
    if "application" in metafunc.fixturenames:
        real = [*CORES, *(metafunc.config.getoption("real_drupal") or [])]
        metafunc.parametrize("application", [
            "wordpress", *(pytest.param(core, marks=pytest.mark.real_drupal) for core in real)])


@pytest.fixture
def platforms(application: str, site_stack: SiteStack, drupal_cores: UnpackedCores,
              request: pytest.FixtureRequest) -> Iterator[tuple[Path, Path]]:
    """Two platforms of ``application``, for a site and for its migration: the session's pair
    of a real Drupal core (their ``sites/`` put back afterwards), or two fresh copies of
    Debian's WordPress or of a ``--real-drupal`` folder."""
    folder = site_stack.root / "platforms"
    if application in CORES:
        request.node.user_properties.append(("drupal_core", CORES[application].version))
        pair = drupal_cores.platforms(application)  # skipped or failed here when missing
        site_stack.must("save", "@server_master",
                        f"--platform_base_path={drupal_cores.platform_base}")
        try:
            yield pair
        finally:
            drupal_cores.reset_sites(application)
        return
    if application == "wordpress":
        yield make_wordpress_platform(folder / "app"), make_wordpress_platform(folder / "app2")
        return
    request.node.user_properties.append(("drupal_core", Path(application).name))
    for name in ("app", "app2"):
        shutil.copytree(application, folder / name, symlinks=True)
    yield folder / "app", folder / "app2"


def request_after_settings(stack: SiteStack, application: str, uri: str) -> dict[str, Any]:
    """What PHP still holds of the request once the site's settings have read the database
    account: ``server`` (``$_SERVER``), ``env`` (``getenv()``) and ``info`` (phpinfo()'s page),
    what a plugin's phpinfo() or an error dump would show. WordPress boots whole; Drupal's
    settings.php is read in a function, as Drupal reads it."""
    probe = stack.platform_root / f"probe-{secrets.token_hex(4)}.php"
    if application == "wordpress":
        settings = "require __DIR__ . '/wp-config.php';\n"
    else:
        settings = (f"function probe_settings() {{\n  $app_root = __DIR__;\n"
                    f"  $site_path = 'sites/{uri}';\n"
                    f"  include __DIR__ . '/sites/{uri}/settings.php';\n"
                    "  return isset($databases['default']['default']['database']);\n}\n"
                    "if (!probe_settings()) {\n  exit('The settings named no database.');\n}\n")
    probe.write_text("<?php\n" + settings
                     + "header('Content-Type: text/plain');\n"
                     "ob_start();\nphpinfo();\n$info = ob_get_clean();\n"
                     "echo json_encode(array('server' => $_SERVER, 'env' => getenv(),"
                     " 'info' => $info));\n")
    try:
        status, body, _headers = stack.instance_get(f"/{probe.name}", uri)
    finally:
        probe.unlink()
    assert status == 200 and '"server"' in body, (status, body[:500])
    found: dict[str, Any] = json.loads(body)
    return found


def assert_password_nowhere_in_php(stack: SiteStack, application: str, uri: str,
                                   password: str) -> None:
    """The site's PHP gets the account from its credentials file (named by the vhost, which
    holds no password): neither ``$_SERVER``, ``getenv()`` nor phpinfo() shows the password,
    on Apache's mod_php as on php-fpm behind nginx."""
    assert password not in stack.vhost(uri).read_text()
    assert str(stack.credentials(uri)) in stack.vhost(uri).read_text()
    after = request_after_settings(stack, application, uri)
    assert after["server"]["db_credentials"] == str(stack.credentials(uri))
    assert "db_credentials" in after["info"]  # the page lists the request's variables
    showing = [part for part in ("server", "env", "info") if password in json.dumps(after[part])]
    assert showing == []
    assert not [key for key in after["server"] if "db_passwd" in key]


def assert_no_credentials_file_answers_503(stack: SiteStack, uri: str) -> None:
    """Without its credentials file the site answers 503 with the sentence saying what to do;
    with it back, it is served again."""
    path = stack.credentials(uri)
    aside = path.with_name(f".{path.name}.aside")
    path.rename(aside)
    try:
        status, body, _headers = stack.instance_get("/", uri)
    finally:
        aside.rename(path)
    assert status == 503, (status, body[:500])
    assert "verify it in the hosting panel" in body


def title(application: str, uri: str) -> str:
    """What the site's front page title holds: WordPress puts the site name (the uri) first,
    Drupal last ("Welcome to … | uri", or the name alone once the front page lists content)."""
    return f"<title>{uri}" if application == "wordpress" else f"{uri}</title>"


def assert_login_link_works_once(stack: SiteStack, uri: str, link: str) -> None:
    """Drupal logs the administrator in with the link once (a session cookie and the account
    form), and refuses it the second time (no session)."""
    path = urlsplit(link).path
    status, _body, headers = stack.instance_get(path, uri)
    assert status in (302, 303), status
    assert "set-cookie" in headers and "/user/1" in headers["location"]
    status, _body, headers = stack.instance_get(path, uri)
    assert "/user/1" not in headers.get("location", "")


def assert_page_views_leave_cron_to_the_queue(stack: SiteStack, uri: str) -> None:
    """WordPress's first page views, with its update checks due, did not spawn its cron (a
    request from PHP to the site's own name, which marks itself with a doing_cron
    transient)."""
    for _ in range(2):
        assert stack.instance.get("/", host=uri)[0] == 200
    connection = stack.admin.connect(stack.context(uri)["db_name"])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM wp_options WHERE option_name = "
                           "'_transient_doing_cron'")
            assert cursor.fetchone()[0] == 0, "a page view spawned WordPress's cron"
    finally:
        connection.close()


def site_tables(stack: SiteStack, uri: str, like: str) -> list[str]:
    """The tables of the site's database whose names are LIKE ``like``."""
    connection = stack.admin.connect(stack.context(uri)["db_name"])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW TABLES LIKE %s", (like,))
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def add_marker_table(stack: SiteStack, uri: str) -> None:
    """A change to the site's database that only a restore can undo."""
    connection = stack.admin.connect(stack.context(uri)["db_name"])
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE hostmaster_marker (id INT)")
    finally:
        connection.close()


def restore_undoes_what_came_after_the_backup(stack: SiteStack, application: str, uri: str,
                                              backup_file: str) -> None:
    """Restore ``backup_file`` over a change made after it; the site is served again."""
    add_marker_table(stack, uri)
    with stack.instance.expect_reload():
        restored = backend(stack, uri, "restore", options={"backup_file": backup_file})
    assert restored.returncode == 0, restored.stdout
    assert site_tables(stack, uri, "hostmaster_marker") == []
    assert Path(restored.result["object"]["backup_file"]).is_file()  # the state before it
    stack.instance.wait_for_body(title(application, uri), host=uri)


def clone_is_served_beside_the_original(stack: SiteStack, application: str, uri: str,
                                        content: LinkedContent) -> None:
    """Clone the site under a new domain: both are served, each with its own database, the
    clone's content naming its own domain; then delete the clone."""
    copy = unique_uri("copy")
    with stack.instance.expect_reload():
        cloned = backend(stack, uri, "clone", options={"new_uri": copy})
    assert cloned.returncode == 0, cloned.stdout
    assert stack.context(copy)["db_name"] != stack.context(uri)["db_name"]
    stack.instance.wait_for_body(title(application, copy), host=copy)
    stack.instance.wait_for_body(title(application, uri), host=uri)
    assert_content_answers_under(stack, content, copy)
    assert_content_answers_under(stack, content, uri)  # the original is untouched
    assert_old_domain_only_in_guids(stack, application, uri, copy,
                                    "\n".join(cloned.messages()))
    with stack.instance.expect_reload():
        deleted = backend(stack, copy, "delete")
    assert deleted.returncode == 0, deleted.stdout
    assert stack.databases_like(copy) == []


def migrate_to_a_copy_renamed(stack: SiteStack, application: str, uri: str, target: Path,
                              content: LinkedContent) -> tuple[str, str]:
    """Migrate the site to ``target``, a second platform of the same code (its database
    updates and cache clear run for real), under a new domain; its content names the new
    domain. Afterwards ``stack.platform_root`` is ``target``. Returns the new platform's
    context name and the new uri."""
    source, renamed = stack.platform_root, unique_uri("renamed")
    roots = {"@platform_app": source, "@platform_app2": target}
    with stack.instance.expect_reload():
        assert backend(stack, uri, "noop", roots=roots).returncode == 0
        verified = provision(stack.root, "@platform_app2", "verify")
    assert verified.returncode == 0, verified.stderr
    with stack.instance.expect_reload():
        migrated = backend(stack, uri, "migrate", roots=roots,
                           options={"target_platform": "@platform_app2", "new_uri": renamed})
    assert migrated.returncode == 0, migrated.stdout
    assert not (source / "sites" / uri).exists() and (target / "sites" / renamed).is_dir()
    stack.platform_root = target
    stack.instance.wait_for_body(title(application, renamed), host=renamed)
    assert_content_answers_under(stack, content, renamed)
    assert_old_domain_only_in_guids(stack, application, uri, renamed,
                                    "\n".join(migrated.messages()))
    return "@platform_app2", renamed


def assert_clean_urls(stack: SiteStack, application: str, uri: str) -> None:
    """A path that is no file reaches the application: WordPress's pretty permalinks (turned on
    in its database), Drupal's clean URLs."""
    if application == "wordpress":
        connection = stack.admin.connect(str(stack.context(uri)["db_name"]))
        try:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE wp_options SET option_value = '/%postname%/' "
                               "WHERE option_name = 'permalink_structure'")
                cursor.execute("DELETE FROM wp_options WHERE option_name = 'rewrite_rules'")
            connection.commit()
        finally:
            connection.close()
        path, expected = "/hello-world/", "Hello world!"
    else:
        path, expected = "/user/login", 'name="pass"'
    status, body, headers = stack.instance_get(path, uri)
    assert status == 200 and expected in body, (path, status, headers.get("location"),
                                                body[:300])


def assert_drush_aliases(stack: SiteStack, application: str, uri: str, root: Path) -> None:
    """A Drupal site has a Drush 8 and a Drush 9+ alias naming its current root; PHP and a
    YAML parser read them. A WordPress site has none."""
    php_file, yaml_file = (stack.root / ".drush" / f"{uri}.alias.drushrc.php",
                           stack.root / ".drush" / "sites" / f"{uri.replace('.', '_')}.site.yml")
    if application == "wordpress":
        assert not php_file.exists() and not yaml_file.exists()
        return
    read = subprocess.run(["php", "-r", f"include {php_file_literal(php_file)}; "
                           "echo json_encode($aliases);"],
                          capture_output=True, text=True, check=True)
    alias = json.loads(read.stdout)[uri]
    assert alias["uri"] == uri and alias["root"] == str(root) and alias["site_enabled"] is True
    environment = yaml.safe_load(yaml_file.read_text())["aegir"]
    assert environment["root"] == str(root) and environment["uri"] == f"http://{uri}"
    assert environment["aegir"]["site_path"] == str(root / "sites" / uri)
    assert {php_file.stat().st_mode & 0o777, yaml_file.stat().st_mode & 0o777} == {0o600}


def php_file_literal(path: Path) -> str:
    return "'" + str(path).replace("\\", "\\\\").replace("'", "\\'") + "'"


def test_a_site_is_installed_restored_cloned_migrated_disabled_and_deleted_on_real_code(
    site_stack: SiteStack, application: str, platforms: tuple[Path, Path]
) -> None:
    site_stack.platform_root, second_platform = platforms
    uri = unique_uri("life")
    with site_stack.instance.expect_reload():
        assert backend(site_stack, uri, "noop").returncode == 0
        verify = provision(site_stack.root, "@platform_app", "verify")
    assert verify.returncode == 0, verify.stderr

    with site_stack.instance.expect_reload(), command_lines_sampled() as command_lines:
        installed = backend(site_stack, uri, "install")
        backup = backend(site_stack, uri, "backup")
    assert installed.returncode == 0, installed.stdout
    password = site_stack.context(uri)["db_passwd"]
    result = installed.result["object"]
    assert result["login_link"] and result["db_name"]
    assert "db_passwd" not in json.dumps(installed.result["context"])
    body = site_stack.instance.wait_for_body(title(application, uri), host=uri)
    assert uri in body
    if application != "wordpress":
        assert_login_link_works_once(site_stack, uri, result["login_link"])
    else:
        assert_page_views_leave_cron_to_the_queue(site_stack, uri)
    cron = backend(site_stack, uri, "cron")
    assert cron.returncode == 0, cron.stdout
    assert 200 <= cron.result["object"]["http_status"] < 300
    statistics = backend(site_stack, uri, "statistics")
    assert statistics.returncode == 0, statistics.stdout
    assert statistics.result["object"]["users"] >= 1  # the administrator

    assert backup.returncode == 0, backup.stdout
    assert not [line for line in command_lines if password.encode() in line]
    assert password not in installed.stdout + backup.stdout
    settings_holding_it = [path for path in site_stack.platform_root.rglob("*")
                           if path.is_file() and password.encode() in path.read_bytes()]
    assert settings_holding_it == []
    assert_password_nowhere_in_php(site_stack, application, uri, password)
    assert_no_credentials_file_answers_503(site_stack, uri)
    site_stack.instance.wait_for_body(title(application, uri), host=uri)
    assert_drush_aliases(site_stack, application, uri, site_stack.platform_root)
    assert_clean_urls(site_stack, application, uri)
    backup_file = backup.result["object"]["backup_file"]
    with tarfile.open(backup_file) as tar:
        assert "database.sql" in tar.getnames()

    restore_undoes_what_came_after_the_backup(site_stack, application, uri, backup_file)
    content = add_linked_content(site_stack, application, uri)
    if application == "wordpress":
        point_siteurl_at_an_alias(site_stack, uri)  # the copies' are on their own domain
    clone_is_served_beside_the_original(site_stack, application, uri, content)
    platform, uri = migrate_to_a_copy_renamed(site_stack, application, uri, second_platform,
                                              content)
    assert_drush_aliases(site_stack, application, uri, second_platform)
    assert_clean_urls(site_stack, application, uri)

    with site_stack.instance.expect_reload():
        assert backend(site_stack, uri, "disable", platform=platform).returncode == 0
    status, _body, headers = site_stack.instance_get("/", uri)
    assert (status, headers["location"]) == (302, f"{MASTER_URL}/hosting/disabled/{uri}")
    with site_stack.instance.expect_reload():
        assert backend(site_stack, uri, "enable", platform=platform).returncode == 0
    site_stack.instance.wait_for_body(title(application, uri), host=uri)

    with site_stack.instance.expect_reload():
        deleted = backend(site_stack, uri, "delete", platform=platform)
    assert deleted.returncode == 0, deleted.stdout
    assert site_stack.databases_like(uri) == []
    assert not (site_stack.platform_root / "sites" / uri).exists()
    assert not site_stack.credentials(uri).exists()
    assert not [path for path in (site_stack.root / ".drush").rglob("*")
                if uri in path.name or uri.replace(".", "_") in path.name]
    # (A worker of the disabled vhost of the delete's middle may finish a connection late.)
    assert poll(lambda: site_stack.instance.get("/", host=uri)[0] == 404, 15)
    assert Path(deleted.result["object"]["backup_file"]).is_file()
