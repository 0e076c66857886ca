"""The Drupal driver: Drupal 7, Drupal 8 and later, and the composer layout (docroot ``web/``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from ...errors import ApplicationError
from ..base import AppDriver, php_string, read_text
from . import scan

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
    site_module = "provision.apps.drupal.site"
    deploy_module = "provision.apps.drupal.deploy"

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

    def _packages_found(self) -> list[scan.FoundPackage]:
        """The scan of the codebase, done once per driver (profiles() and packages() share it)."""
        if self._found is None:
            self._found = scan.scan(self.docroot, self.layout)
        return self._found
