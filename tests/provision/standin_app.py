"""A MINIMAL STAND-IN application for the site lifecycle tests of provision's own parts.

It is a fake application, not Drupal or WordPress: a platform with one ``index.php`` that
connects to MariaDB with the account of the credentials file its vhost names and prints the
site's title from a one-table database. It lets these tests prove provision's database,
folder, vhost and backup work through the real Apache, nginx, PHP and MariaDB whatever state
the real drivers (tests/provision/apps/) are in. Its driver is registered as a provision
plugin for the length of one test.
"""

from __future__ import annotations

import difflib
import secrets
from pathlib import Path
from typing import Any, Self

import pymysql

from provision.apps.base import AppDriver
from provision.errors import ApplicationError
from provision.hookspecs import hookimpl

MARKER = "standin-app.txt"
BROKEN_PROFILE = "broken"

INDEX_PHP = """<?php
// Stand-in application of the provision tests: prints the site's title from its database,
// reached with the account in the credentials file the vhost names (nothing else knows it).
$db = json_decode(file_get_contents($_SERVER['db_credentials']), TRUE);
$link = new mysqli($db['db_host'], $db['db_user'], $db['db_passwd'], $db['db_name'],
                   (int) $db['db_port']);
$row = $link->query("SELECT value FROM standin_site WHERE name = 'title'")->fetch_row();
echo "<html><head><title>" . htmlspecialchars($row[0]) . "</title></head><body>";
echo "Stand-in site " . htmlspecialchars($row[0]) . "</body></html>\\n";
"""

SETTINGS_PHP = """<?php
// Stand-in settings of {uri}, written by provision.
{account}$db = ['name' => {name}, 'user' => {user}, 'pass' => {password},
       'host' => {host}, 'port' => {port}];
"""

#: How cloaked stand-in settings find the account: the credentials file the vhost names.
ACCOUNT_PHP = "$account = json_decode(file_get_contents($_SERVER['db_credentials']), TRUE);\n"


def make_standin_platform(path: Path) -> Path:
    """Write the stand-in codebase at ``path`` (world-readable, so the web server reads it)."""
    (path / "sites").mkdir(parents=True)
    (path / MARKER).write_text("A stand-in application for provision's tests.\n")
    (path / "index.php").write_text(INDEX_PHP)
    for item in (path, path / "sites"):
        item.chmod(0o755)
    return path


def title_of(uri: str) -> str:
    """The title the stand-in installs for ``uri``."""
    return f"Stand-in {uri}"


class StandInDriver(AppDriver):
    """The stand-in's driver: every site lifecycle method of AppDriver, done the simplest way."""

    kind = "standin"

    @classmethod
    def detect(cls, root: Path) -> Self | None:
        """A stand-in platform has the marker file."""
        root = Path(root).absolute()
        if not (root / MARKER).is_file():
            return None
        return cls(root, root, "1.0", "1", root / "sites")

    def profiles(self) -> list[str]:
        """One profile, plus one whose install fails on purpose."""
        return ["standard", BROKEN_PROFILE]

    def packages(self) -> list[dict[str, Any]]:
        """No packages."""
        return []

    def sites(self) -> list[str]:
        """Folders holding a settings.php."""
        return sorted(p.name for p in self.sites_dir.iterdir() if (p / "settings.php").exists())

    def site_directories(self, site: Any) -> dict[Path, int]:
        """``files`` and ``private`` of the site, setgid for the web group."""
        return {site.site_path / "files": 0o2770, site.site_path / "private": 0o2770}

    def _settings(self, site: Any, credentials: Any = None) -> str:
        def value(key: str, literal: Any) -> str:
            return repr(str(literal)) if credentials else f"$account['{key}']"

        c = credentials
        return SETTINGS_PHP.format(
            uri=site.uri, account="" if credentials else ACCOUNT_PHP,
            name=value("db_name", c and c.name), user=value("db_user", c and c.user),
            password=value("db_passwd", c and c.password), host=value("db_host", c and c.host),
            port=value("db_port", c and c.port))

    def write_settings(self, site: Any, transport: Any, logger: Any,
                       dry_run: bool = False) -> list[Path]:
        """The cloaked settings.php (0440, web group)."""
        path = site.site_path / "settings.php"
        new = self._settings(site)
        old = path.read_text() if path.exists() else ""
        if dry_run:
            if old != new:
                logger.info("".join(difflib.unified_diff(
                    old.splitlines(True), new.splitlines(True), str(path), str(path))))
                return [path]
            return []
        if path.exists():
            path.chmod(0o640)
        transport.write_file(path, new, 0o440)
        transport.set_group(path, site.web_server.raw("web_group"))
        return [path]

    def uncloaked_settings(self, site: Any, credentials: Any) -> tuple[str, str]:
        """settings.php with the literal credentials."""
        return "settings.php", self._settings(site, credentials)

    def install_site(self, site: Any, credentials: Any, logger: Any) -> dict[str, Any]:
        """Create the one table and the title; fails on purpose with the broken profile."""
        if site.raw("profile") == BROKEN_PROFILE:
            raise ApplicationError("The stand-in install failed on purpose (profile broken).")
        connection = pymysql.connect(host=credentials.host, port=credentials.port,
                                     user=credentials.user, password=credentials.password,
                                     database=credentials.name, autocommit=True)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE standin_site (name VARCHAR(64) PRIMARY KEY, "
                           "value TEXT) DEFAULT CHARSET=utf8mb4")
            cursor.execute("INSERT INTO standin_site VALUES ('title', %s), ('filler', %s)",
                           (title_of(site.uri), "x" * 2000))
        connection.close()
        logger.info(f"Installed the stand-in site {site.uri}.")
        return {"login_link": self.login_link(site, credentials, logger),
                "cron_key": secrets.token_hex(8)}

    def login_link(self, site: Any, credentials: Any, logger: Any) -> str:
        """A made-up link with a fresh token."""
        return f"http://{site.uri}/login/{secrets.token_hex(8)}"

    def site_packages(self, site: Any, credentials: Any, logger: Any) -> list[dict[str, Any]]:
        """No packages."""
        return []

    def read_site_settings(self, site: Any, credentials: Any = None) -> dict[str, Any]:
        """Only profile and language: the credentials are cloaked."""
        return {"profile": "standard", "language": "en"}


class StandInPlugin:
    """The provision plugin that offers the stand-in driver."""

    @hookimpl
    def provision_app_drivers(self) -> list[type[AppDriver]]:
        """The stand-in driver only."""
        return [StandInDriver]
