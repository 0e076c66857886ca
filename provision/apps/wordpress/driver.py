"""The WordPress driver: core version, plugins and themes read from their file headers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ...errors import ApplicationError
from ..base import AppDriver, php_string, read_head, read_text
from . import site as site_ops

if TYPE_CHECKING:
    from ...contexts.model import PlatformContext, SiteContext
    from ...log import Logger
    from ...transport import Transport

_VERSION_FILE = "wp-includes/version.php"
_WP_VERSION = r"\$wp_version\s*=\s*['\"](?P<value>[^'\"]+)['\"]"
_WP_DB_VERSION = r"\$wp_db_version\s*=\s*(?P<value>\d+)"
# Per-site folders are ours, not WordPress's: sites/<uri>/wp-site.php marks one.
_SITES_FOLDER = "sites"
_SITE_MARKER = "wp-site.php"
# "Plugin Name: Akismet" inside a comment; WordPress allows any of " \t/*#@" before the name.
_HEADER_LINE = re.compile(r"^[ \t/*#@]*(?P<name>[A-Za-z][A-Za-z ]*?)[ \t]*:(?P<value>.*)$")


class WordPressDriver(AppDriver):
    """A WordPress codebase; ``core`` is the major release ("6.1"), as WordPress numbers them."""

    kind = "wordpress"
    site_module = "provision.apps.wordpress.site"
    deploy_module = "provision.apps.wordpress.deploy"

    def __init__(self, root: Path, version: str, db_version: int) -> None:
        major = ".".join(version.split(".")[:2])
        super().__init__(root, root, version, major, sites_dir=root / _SITES_FOLDER)
        self.db_version = db_version

    @classmethod
    def detect(cls, root: Path) -> Self | None:
        """The WordPress in ``root``, None when there is none; reads, never writes."""
        root = Path(root).absolute()
        version_file = root / _VERSION_FILE
        if not version_file.is_file():
            return None
        source = read_text(version_file)
        version = php_string(source, _WP_VERSION)
        if not version:
            raise ApplicationError(
                f"{version_file} does not state WordPress's version; restore the file from "
                "the WordPress release this platform was built from."
            )
        db_version = php_string(source, _WP_DB_VERSION)
        return cls(root, version, int(db_version) if db_version else 0)

    def profiles(self) -> list[str]:
        """WordPress has a single way to install a site, which we call the profile "standard"."""
        return ["standard"]

    def packages(self) -> list[dict[str, Any]]:
        """WordPress core (its schema is ``$wp_db_version``), then its plugins and themes."""
        packages = [
            self.package(
                "wordpress",
                "core",
                self.root / _VERSION_FILE,
                name="WordPress",
                version=self.version,
                schema_version=self.db_version,
            )
        ]
        packages.extend(self._plugins())
        packages.extend(self._themes())
        return packages

    def sites(self) -> list[str]:
        """The uris of ``sites/<uri>/`` folders that hold a ``wp-site.php``."""
        if not self.sites_dir.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.sites_dir.iterdir()
            if not entry.is_symlink() and (entry / _SITE_MARKER).is_file()
        )

    def site_directories(self, site: SiteContext) -> dict[Path, int]:
        """``files/`` (the site's uploads), 02770."""
        return {self.site_path(site.uri) / "files": 0o2770}

    def write_platform_settings(
        self, platform: PlatformContext, transport: Transport, logger: Logger, dry_run: bool = False
    ) -> list[Path]:
        """provision's ``wp-config.php``, which picks the site by host."""
        return site_ops.write_site_files(
            site_ops.platform_files(self), transport, logger, dry_run=dry_run
        )

    def _plugins(self) -> list[dict[str, Any]]:
        """Plugins as WordPress finds them: a PHP file with a ``Plugin Name:`` header either
        directly in ``wp-content/plugins`` or one level down in the plugin's folder."""
        plugins_dir = self.root / "wp-content" / "plugins"
        found: list[dict[str, Any]] = []
        for entry in _sorted_entries(plugins_dir):
            main = _plugin_main_file(entry)
            if main is not None:
                path, headers = main
                short_name = entry.name if entry.is_dir() else entry.stem
                found.append(self._from_headers(short_name, "plugin", path, headers, "plugin name"))
        return found

    def _themes(self) -> list[dict[str, Any]]:
        """Themes: folders of ``wp-content/themes`` whose ``style.css`` has a ``Theme Name:``."""
        found: list[dict[str, Any]] = []
        for entry in _sorted_entries(self.root / "wp-content" / "themes"):
            style = entry / "style.css"
            if not entry.is_dir() or not style.is_file():
                continue
            headers = file_headers(style)
            if headers.get("theme name"):
                found.append(self._from_headers(entry.name, "theme", style, headers, "theme name"))
        return found

    def _from_headers(
        self, short_name: str, kind: str, path: Path, headers: dict[str, str], name_key: str
    ) -> dict[str, Any]:
        """A PACKAGE dict from a plugin's or theme's header fields."""
        return self.package(
            short_name,
            kind,
            path,
            name=headers[name_key],
            description=headers.get("description", ""),
            version=headers.get("version", ""),
        )


def file_headers(path: Path) -> dict[str, str]:
    """The ``Name: value`` header fields in the first 8 KB of a plugin file or ``style.css``,
    keyed by lower-case name (WordPress reads the same span and matches names in any case)."""
    headers: dict[str, str] = {}
    for line in read_head(path).splitlines():
        match = _HEADER_LINE.match(line)
        if not match:
            continue
        value = match["value"]
        # A header may share its line with the end of the comment or of the PHP block.
        value = re.split(r"\*/|\?>", value, maxsplit=1)[0].strip()
        name = match["name"].strip().lower()
        if value and name not in headers:
            headers[name] = value
    return headers


def _plugin_main_file(entry: Path) -> tuple[Path, dict[str, str]] | None:
    """The file declaring the plugin at ``entry`` (a folder or a single PHP file) and its
    headers; None when no file there has a ``Plugin Name:`` header."""
    candidates = [entry] if entry.is_file() else _sorted_entries(entry)
    for candidate in candidates:
        if candidate.suffix == ".php" and candidate.is_file():
            headers = file_headers(candidate)
            if headers.get("plugin name"):
                return candidate, headers
    return None


def _sorted_entries(folder: Path) -> list[Path]:
    """The entries of ``folder`` by name, skipping hidden ones; [] if it is missing."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
