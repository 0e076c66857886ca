"""The application driver interface: what provision asks of a Drupal or WordPress codebase.

A driver recognises its application in a platform root (``detect``), says which version and
core it is, where the docroot and the sites folder are, and lists the install profiles, the
packages (as docs/protocol.md's PACKAGE dicts) and the sites the codebase holds.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

from .versions import version_code

if TYPE_CHECKING:
    from ..contexts.model import PlatformContext, SiteContext
    from ..log import Logger
    from ..transport import Transport
    from .database_rewrite import RewriteReport

__all__ = ["AppDriver", "DatabaseCredentials", "make_package", "read_head", "version_code"]


class DatabaseCredentials(Protocol):
    """A site's database account (``provision.services.db.credentials.SiteCredentials``)."""

    @property
    def name(self) -> str:
        """The site's database."""

    @property
    def user(self) -> str:
        """The site's database user."""

    @property
    def password(self) -> str:
        """That user's password (a secret)."""

    @property
    def host(self) -> str:
        """Where the database server is, as the site's web server reaches it."""

    @property
    def port(self) -> int:
        """The database server's port."""

# Header blocks (WordPress) and version constants sit at the top of a file; reading only the
# start keeps a scan of hundreds of files fast.
HEAD_BYTES = 8192


class AppDriver(ABC):
    """One application found in a platform root.

    Subclasses set ``kind`` ("drupal", "wordpress") and fill ``docroot``, ``version``, ``core``
    and ``sites_dir`` in ``detect``; nothing is written to the codebase by a driver's reads.
    """

    kind: ClassVar[str]

    def __init__(self, root: Path, docroot: Path, version: str, core: str, sites_dir: Path) -> None:
        self.root = root
        self.docroot = docroot
        self.version = version
        self.core = core
        self.sites_dir = sites_dir

    @classmethod
    @abstractmethod
    def detect(cls, root: Path) -> Self | None:
        """The driver for the application in ``root``, or None when ``root`` holds another one."""

    @abstractmethod
    def profiles(self) -> list[str]:
        """The install profiles a new site on this platform may use, by short name."""

    @abstractmethod
    def packages(self) -> list[dict[str, Any]]:
        """The core package first, then every module, theme, profile or plugin, as PACKAGE dicts."""

    @abstractmethod
    def sites(self) -> list[str]:
        """The uris of the sites that live on this platform, sorted."""

    # The site lifecycle ------------------------------------------------------------------
    # provision's commands (install, verify, backup, import...) call these. A driver names the
    # modules that implement them (``site_module``, ``deploy_module``: functions taking the
    # driver first, imported on first use) or overrides the methods itself.

    #: The module implementing the site lifecycle (settings, install, login link, packages).
    site_module: ClassVar[str] = ""
    #: The module implementing what follows a deploy (updates, domain rewrite, caches).
    deploy_module: ClassVar[str] = ""

    def site_path(self, uri: str) -> Path:
        """The folder of the site ``uri`` on this platform."""
        return self.sites_dir / uri

    def site_directories(self, site: SiteContext) -> dict[Path, int]:
        """The folders a site needs (besides its own), with their modes; the web server's group
        must own them (the caller sets the group)."""
        return dict(self._forward("site", "site_directories", site))

    def write_platform_settings(
        self, platform: PlatformContext, transport: Transport, logger: Logger, dry_run: bool = False
    ) -> list[Path]:
        """Write the files the platform itself needs for its sites; returns those written
        (or, in a dry run, those that would change). Most applications need none."""
        return []

    def write_settings(
        self, site: SiteContext, transport: Transport, logger: Logger, dry_run: bool = False
    ) -> list[Path]:
        """Write the site's settings file with cloaked credentials (read from the site's
        credentials file) and the alias map; returns the files written. In a dry run, log a
        unified diff of each file that would change and write nothing. Values that must
        outlive a rewrite (salts) are read back from the previous file."""
        return list(self._forward("site", "write_settings", site, transport, logger, dry_run))

    def uncloaked_settings(
        self, site: SiteContext, credentials: DatabaseCredentials
    ) -> tuple[str, str]:
        """The settings file with literal credentials, for a backup archive: (its path relative
        to the site folder, its content)."""
        name, text = self._forward("site", "uncloaked_settings", site, credentials)
        return str(name), str(text)

    def install_site(
        self, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
    ) -> dict[str, Any]:
        """Install the application into the site's (empty) database with the PHP helper.

        Returns ``login_link``, ``cron_key``, ``profile`` and ``language``; raises
        ApplicationError with the helper's message when the install fails.
        """
        return dict(self._forward("site", "install_site", site, credentials, logger))

    def login_link(
        self, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
    ) -> str:
        """A new one-time login link for the site's administrator."""
        return str(self._forward("site", "login_link", site, credentials, logger))

    def site_packages(
        self, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
    ) -> list[dict[str, Any]]:
        """The platform's PACKAGE dicts plus ``enabled`` and the site's ``schema_version``,
        read from the site's database."""
        return list(self._forward("site", "site_packages", site, credentials, logger))

    def read_site_settings(
        self, site: SiteContext, credentials: DatabaseCredentials | None = None
    ) -> dict[str, Any]:
        """What an import needs from a live site: ``db_name``, ``db_user``, ``db_passwd``,
        ``db_host``, ``db_port`` when the settings file holds them literally, and ``profile``
        and ``language`` (read from the database, so cloaked sites pass ``credentials`` taken
        from their vhost)."""
        return dict(self._forward("site", "read_site_settings", site, credentials))

    # After a deploy (restore, migrate, clone) ----------------------------------------------

    def update_database(
        self, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
    ) -> list[str]:
        """Run the application's pending database updates; the names of those run."""
        return list(self._forward("deploy", "update_database", site, credentials, logger))

    def rewrite_site_uri(
        self, site: SiteContext, credentials: DatabaseCredentials, old_uri: str, logger: Logger
    ) -> RewriteReport:
        """Rewrite the site's old domain ``old_uri`` as its uri in its database (URLs, paths
        of its folder); what changed and what was kept."""
        report: RewriteReport = self._forward("deploy", "rewrite_site_uri", site, credentials,
                                              old_uri, logger)
        return report

    def clear_caches(
        self, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
    ) -> None:
        """Clear the application's caches."""
        self._forward("deploy", "clear_caches", site, credentials, logger)

    def _forward(self, part: str, method: str, *args: Any) -> Any:
        """Call ``method`` of the driver's ``site_module`` or ``deploy_module`` with the driver
        first; an ApplicationError when the driver has none."""
        import importlib

        from ..errors import ApplicationError

        module_name = self.site_module if part == "site" else self.deploy_module
        function = getattr(importlib.import_module(module_name), method, None) if (
            module_name) else None
        if function is None:
            raise ApplicationError(
                f"The {self.kind} driver cannot {method.replace('_', ' ')} yet; update "
                "provision or use a platform of another application."
            )
        return function(self, *args)

    def describe(self) -> dict[str, Any]:
        """The platform verify result object of docs/protocol.md, read from the codebase."""
        return {
            "application": self.kind,
            "version": self.version,
            "core": self.core,
            "docroot": str(self.docroot),
            "profiles": self.profiles(),
            "packages": self.packages(),
            "sites": self.sites(),
        }

    def package(
        self,
        short_name: str,
        kind: str,
        path: Path,
        *,
        name: str = "",
        description: str = "",
        version: str = "",
        schema_version: int = 0,
        profile: str | None = None,
    ) -> dict[str, Any]:
        """A PACKAGE dict for a package of this platform declared by the file ``path``."""
        return make_package(
            short_name,
            kind,
            _relative(path, self.root),
            core=self.core,
            name=name,
            description=description,
            version=version,
            schema_version=schema_version,
            profile=profile,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.version} at {self.root}>"


def make_package(
    short_name: str,
    kind: str,
    path: str,
    *,
    core: str,
    name: str = "",
    description: str = "",
    version: str = "",
    schema_version: int = 0,
    profile: str | None = None,
) -> dict[str, Any]:
    """A PACKAGE dict (docs/protocol.md); ``version`` is "" when the codebase does not say it."""
    return {
        "short_name": short_name,
        "kind": kind,
        "name": name or short_name,
        "description": description,
        "version": version,
        "version_code": version_code(core, version) if version else 0,
        "schema_version": schema_version,
        "path": path,
        "profile": profile,
    }


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The first ``size`` bytes of a text file, decoded leniently; "" if it cannot be read."""
    try:
        with path.open("rb") as handle:
            return handle.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""


def read_text(path: Path) -> str:
    """A whole text file, decoded leniently; "" if it cannot be read (a scan goes on without it)."""
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return ""


def php_string(source: str, pattern: str) -> str | None:
    """The quoted PHP string captured by ``pattern``'s ``value`` group in ``source``, unquoted."""
    match = re.search(pattern, source)
    return match["value"] if match else None


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the platform root, with forward slashes, as the protocol stores it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        # A package reached through a symlink that leaves the root: keep where it really is.
        return path.as_posix()
