"""Sites of the real drivers through the backend protocol, as the dispatcher runs them: install,
serve through Apache and nginx, cron, statistics, back up, migrate to a second platform (but the
stand-in), disable, enable, delete. WordPress is Debian's real
package; Drupal 7 is the generated STAND-IN of tests/fixtures/platforms.py.

Real Drupal core is in no package registry, so it cannot be part of the suite. Given a core
folder with ``--real-drupal PATH`` (repeatable: Drupal 7, or Drupal 8+ with its ``vendor/``),
the same test runs on a copy of it too; README.md says how to get one.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fixtures.platforms import make_drupal7_platform, make_wordpress_platform
from tests.fixtures.stack import MariaDBAdmin
from tests.provision.helpers import Run, provision
from tests.provision.sites_support import (
    MASTER_URL,
    SiteStack,
    command_lines_sampled,
    unique_uri,
)


def backend(stack: SiteStack, uri: str, command: str, *, platform: str = "@platform_wp",
            roots: dict[str, Path] | None = None, options: dict[str, Any] | None = None,
            **site: Any) -> Run:
    """Run ``provision --backend @uri COMMAND`` with the contexts the dispatcher sends: the
    server, the platforms (``roots``: name → folder; @platform_wp by default), the site."""
    roots = roots or {"@platform_wp": stack.platform_root}
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
                     timeout=180)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The applications to run: the two in the suite, then every ``--real-drupal`` core."""
    if "application" in metafunc.fixturenames:
        cores = metafunc.config.getoption("real_drupal") or []
        metafunc.parametrize("application", ["wordpress", "drupal7", *cores])


def make_platform(application: str, path: Path) -> Path:
    """The platform folder for ``application``: generated, or a copy of a real core."""
    if application == "wordpress":
        return make_wordpress_platform(path)
    if application == "drupal7":
        return make_drupal7_platform(path)
    shutil.copytree(application, path, symlinks=True)
    return path


def title(application: str, uri: str) -> str:
    """What the site's front page title holds: the generated sites put the uri first, real
    Drupal puts it after the page's own title ("Welcome to … | uri")."""
    return f"<title>{uri}" if application in ("wordpress", "drupal7") else f"| {uri}</title>"


def assert_login_link_works_once(stack: SiteStack, uri: str, link: str) -> None:
    """Real Drupal logs the administrator in with the link once (a session cookie and the
    account form), and refuses it the second time (no session)."""
    path = urlsplit(link).path
    status, _body, headers = stack.instance_get(path, uri)
    assert status in (302, 303), status
    assert "set-cookie" in headers and "/user/1" in headers["location"]
    status, _body, headers = stack.instance_get(path, uri)
    assert "/user/1" not in headers.get("location", "")


def migrate_to_a_copy(stack: SiteStack, application: str, uri: str) -> str:
    """Migrate the site to a second platform of the same code (its database updates and cache
    clear run for real); afterwards ``stack.platform_root`` is the new platform's. Returns the
    new platform's context name."""
    source = stack.platform_root
    target = make_platform(application, stack.root / "platforms" / "wp2")
    roots = {"@platform_wp": source, "@platform_wp2": target}
    with stack.instance.expect_reload():
        assert backend(stack, uri, "noop", roots=roots).returncode == 0
        verified = provision(stack.root, "@platform_wp2", "verify")
    assert verified.returncode == 0, verified.stderr
    with stack.instance.expect_reload():
        migrated = backend(stack, uri, "migrate", roots=roots,
                           options={"target_platform": "@platform_wp2"})
    assert migrated.returncode == 0, migrated.stdout
    assert not (source / "sites" / uri).exists() and (target / "sites" / uri).is_dir()
    stack.instance.wait_for_body(title(application, uri), host=uri)
    stack.platform_root = target
    return "@platform_wp2"


def test_a_site_installs_serves_backs_up_disables_and_deletes(
    site_stack: SiteStack, mariadb_admin: MariaDBAdmin, application: str
) -> None:
    site_stack.platform_root = make_platform(application, site_stack.root / "platforms" / "wp")
    uri = unique_uri("wp")
    with site_stack.instance.expect_reload():
        assert backend(site_stack, uri, "noop").returncode == 0
        verify = provision(site_stack.root, "@platform_wp", "verify")
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
    if application not in ("wordpress", "drupal7"):
        assert_login_link_works_once(site_stack, uri, result["login_link"])
    if application != "drupal7":  # the stand-in has no cron.php of its own
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
    with tarfile.open(backup.result["object"]["backup_file"]) as tar:
        assert "database.sql" in tar.getnames()

    platform = "@platform_wp"
    if application != "drupal7":  # the stand-in's moves are tested in test_site_migrate.py
        platform = migrate_to_a_copy(site_stack, application, uri)

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
    assert site_stack.instance.get("/", host=uri)[0] == 404
    assert Path(deleted.result["object"]["backup_file"]).is_file()
