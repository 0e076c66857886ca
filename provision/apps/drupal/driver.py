"""The Drupal driver: Drupal 7, Drupal 8 and later, and the composer layout (docroot ``web/``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ...errors import ApplicationError
from ..base import AppDriver, DatabaseCredentials, php_string, read_text
from . import scan
from . import site as site_ops

if TYPE_CHECKING:
    from ...contexts.model import SiteContext
    from ...log import Logger
    from ...transport import Transport

# Where each major line of Drupal states its version, relative to the docroot.
_DRUPAL8_VERSION_FILE = "core/lib/Drupal.php"
_DRUPAL7_VERSION_FILE = "includes/bootstrap.inc"
_DRUPAL8_VERSION = r"const\s+VERSION\s*=\s*['\"](?P<value>[^'\"]+)['\"]"
_DRUPAL7_VERSION = r"define\(\s*['\"]VERSION['\"]\s*,\s*['\"](?P<value>[^'\"]+)['\"]"
# A composer project (drupal/recommended-project) keeps Drupal one level down.
_DOCROOT_CANDIDATES = ("", "web")
# Folders under sites/ that hold shared code or defaults rather than a site.
_NOT_SITES = {"default", "all"}


class DrupalDriver(AppDriver):
    """A Drupal codebase; ``core`` is the major version ("7", "10")."""

    kind = "drupal"

    def __init__(
        self, root: Path, docroot: Path, version: str, core: str, layout: scan.Layout
    ) -> None:
        super().__init__(root, docroot, version, core, sites_dir=docroot / "sites")
        self.layout = layout
        self.version_file = docroot / (
            _DRUPAL7_VERSION_FILE if layout is scan.DRUPAL7 else _DRUPAL8_VERSION_FILE
        )
        self._found: list[scan.FoundPackage] | None = None

    @classmethod
    def detect(cls, root: Path) -> Self | None:
        """The Drupal in ``root`` (or in ``root/web``), None when there is none.

        Raises ApplicationError when Drupal's version file is there but names no version, since
        a damaged core is better reported than taken for another application.
        """
        root = Path(root).absolute()
        for candidate in _DOCROOT_CANDIDATES:
            docroot = root / candidate if candidate else root
            for relative, pattern, layout in (
                (_DRUPAL8_VERSION_FILE, _DRUPAL8_VERSION, scan.DRUPAL8),
                (_DRUPAL7_VERSION_FILE, _DRUPAL7_VERSION, scan.DRUPAL7),
            ):
                version_file = docroot / relative
                if not version_file.is_file():
                    continue
                version = php_string(read_text(version_file), pattern)
                if not version:
                    raise ApplicationError(
                        f"{version_file} does not state Drupal's version; restore the file "
                        "from the Drupal release this platform was built from."
                    )
                return cls(root, docroot, version, version.split(".", 1)[0], layout)
        return None

    def profiles(self) -> list[str]:
        """The visible install profiles (``testing`` and other hidden ones are left out)."""
        return sorted(p.short_name for p in self._packages_found() if p.kind == "profile")

    def packages(self) -> list[dict[str, Any]]:
        """Drupal core, then every visible module, theme and profile with its version and schema.

        ``version = VERSION`` (how core's own packages and git checkouts say it) is core's
        version; a package without a version line has version "".
        """
        core = self.package(
            "drupal", "core", self.version_file, name="Drupal", version=self.version
        )
        packages = [core]
        for found in self._packages_found():
            version = str(found.info.get("version") or "").strip()
            if version == "VERSION":
                version = self.version
            packages.append(
                self.package(
                    found.short_name,
                    found.kind,
                    found.info_file,
                    name=str(found.info.get("name") or ""),
                    description=str(found.info.get("description") or ""),
                    version=version,
                    schema_version=scan.schema_version(found),
                    profile=found.profile,
                )
            )
        return packages

    def sites(self) -> list[str]:
        """Folders under ``sites/`` holding a ``settings.php``, except ``default``, ``all`` and
        symlinks (which Drupal uses as aliases of a real site folder)."""
        if not self.sites_dir.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.sites_dir.iterdir()
            if entry.name not in _NOT_SITES
            and not entry.is_symlink()
            and (entry / "settings.php").is_file()
        )

    # The site lifecycle (implemented in .site) ------------------------------------------

    def site_directories(self, site: SiteContext) -> dict[Path, int]:
        """``files/`` and ``private/{files,temp}`` 02770, ``modules/ themes/ libraries/`` 02775."""
        return site_ops.site_directories(self, site.uri)

    def write_settings(
        self, site: SiteContext, transport: Transport, logger: Logger, dry_run: bool = False
    ) -> list[Path]:
        """Write ``sites/<uri>/settings.php`` (cloaked, 0440, web group) and ``sites/sites.php``."""
        return site_ops.write_settings(self, site, transport, logger, dry_run)

    def uncloaked_settings(
        self, site: SiteContext, credentials: DatabaseCredentials
    ) -> tuple[str, str]:
        """``("settings.php", content with literal credentials)``."""
        return site_ops.uncloaked_settings(self, site, credentials)

    def install_site(
        self, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
    ) -> dict[str, Any]:
        """Run Drupal's installer through the helper (``php/drupal7.php``, ``php/drupal8.php``)."""
        return site_ops.install_site(self, site, credentials, logger)

    def login_link(
        self, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
    ) -> str:
        """``user_pass_reset_url()`` of user 1, plus ``/login``."""
        return site_ops.login_link(self, site, credentials, logger)

    def site_packages(
        self, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
    ) -> list[dict[str, Any]]:
        """Packages with ``enabled`` and the site's schema versions, read with SQL."""
        return site_ops.site_packages(self, site, credentials, logger)

    def read_site_settings(
        self, site: SiteContext, credentials: DatabaseCredentials | None = None
    ) -> dict[str, Any]:
        """Literal credentials of settings.php, and profile and language from the database."""
        return site_ops.read_site_settings(self, site, credentials)

    # After a deploy (restore, migrate, clone; implemented in .deploy) ------------------

    def update_database(
        self, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
    ) -> list[str]:
        """Run the application's pending database updates; the names of those run."""
        from . import deploy

        return deploy.update_database(self, site, credentials, logger)

    def rewrite_site_paths(
        self, site: SiteContext, credentials: DatabaseCredentials, old_uri: str, logger: Logger
    ) -> int:
        """Rewrite ``sites/<old_uri>/`` paths stored in the database; the values changed."""
        from . import deploy

        return deploy.rewrite_site_paths(self, site, credentials, old_uri, logger)

    def clear_caches(
        self, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
    ) -> None:
        """Clear the application's caches."""
        from . import deploy

        deploy.clear_caches(self, site, credentials, logger)

    def _packages_found(self) -> list[scan.FoundPackage]:
        """The scan of the codebase, done once per driver (profiles() and packages() share it)."""
        if self._found is None:
            self._found = scan.scan(self.docroot, self.layout)
        return self._found
