"""Which application a platform root holds, which version, and where its docroot is."""

from __future__ import annotations

import os
from pathlib import Path

import pluggy
import pytest

import provision.apps
from provision import hookspecs
from provision.apps import DrupalDriver, WordPressDriver, detect
from provision.errors import ApplicationError
from tests.fixtures.platforms import (
    debian_wordpress_version,
    make_drupal7_platform,
    make_drupal10_composer_platform,
)


def _listing(root: Path) -> set[str]:
    """Every path under ``root``, to show that a read changed nothing."""
    return {
        str(Path(folder, name)) for folder, dirs, files in os.walk(root) for name in dirs + files
    }


def test_a_drupal7_codebase_is_detected_with_its_version(drupal7_platform: Path) -> None:
    driver = detect(drupal7_platform)

    assert isinstance(driver, DrupalDriver)
    assert (driver.kind, driver.version, driver.core) == ("drupal", "7.103", "7")
    assert driver.docroot == drupal7_platform
    assert driver.sites_dir == drupal7_platform / "sites"


def test_an_older_drupal7_release_reports_its_own_version(tmp_path: Path) -> None:
    driver = detect(make_drupal7_platform(tmp_path / "d7", version="7.59"))

    assert driver is not None and driver.version == "7.59"


def test_a_composer_drupal10_project_has_its_docroot_in_web(drupal10_platform: Path) -> None:
    driver = detect(drupal10_platform)

    assert isinstance(driver, DrupalDriver)
    assert (driver.version, driver.core) == ("10.2.3", "10")
    assert driver.root == drupal10_platform
    assert driver.docroot == drupal10_platform / "web"
    assert driver.sites_dir == drupal10_platform / "web" / "sites"


def test_a_drupal8_codebase_without_composer_is_its_own_docroot(tmp_path: Path) -> None:
    docroot = make_drupal10_composer_platform(tmp_path / "d9", "9.5.11") / "web"

    driver = detect(docroot)

    assert driver is not None
    assert (driver.version, driver.core, driver.docroot) == ("9.5.11", "9", docroot)


def test_debians_wordpress_is_detected_with_the_packaged_version(
    shared_wordpress_platform: Path,
) -> None:
    driver = detect(shared_wordpress_platform)

    assert isinstance(driver, WordPressDriver)
    version = debian_wordpress_version()
    assert (driver.kind, driver.version) == ("wordpress", version)
    assert driver.core == ".".join(version.split(".")[:2])
    assert driver.docroot == shared_wordpress_platform
    assert driver.sites_dir == shared_wordpress_platform / "sites"


def test_detecting_wordpress_creates_nothing_in_the_codebase(
    shared_wordpress_platform: Path,
) -> None:
    before = _listing(shared_wordpress_platform)

    driver = detect(shared_wordpress_platform)
    assert driver is not None
    driver.describe()

    assert _listing(shared_wordpress_platform) == before
    assert not driver.sites_dir.exists()


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"index.html": "<h1>A static site</h1>"},
        {"index.php": "<?php phpinfo();", "includes/common.inc": "<?php"},
        {"web/index.php": "<?php", "composer.json": "{}"},
    ],
    ids=["empty", "static", "php-without-drupal", "composer-without-drupal"],
)
def test_a_folder_without_an_application_is_not_detected(
    tmp_path: Path, files: dict[str, str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    assert detect(tmp_path) is None


def test_a_drupal_core_without_a_version_is_reported_with_what_to_do(tmp_path: Path) -> None:
    root = make_drupal7_platform(tmp_path / "d7")
    (root / "includes/bootstrap.inc").write_text("<?php\n// truncated by a failed upload\n")

    with pytest.raises(ApplicationError, match="does not state Drupal's version; restore"):
        detect(root)


def test_detect_asks_only_the_drivers_it_is_given(drupal7_platform: Path) -> None:
    assert detect(drupal7_platform, drivers=[WordPressDriver]) is None
    assert isinstance(detect(drupal7_platform, drivers=[DrupalDriver]), DrupalDriver)


def test_the_builtin_drivers_are_offered_through_the_plugin_hook() -> None:
    manager = pluggy.PluginManager("provision")
    manager.add_hookspecs(hookspecs)
    manager.register(provision.apps)

    offered = [cls for classes in manager.hook.provision_app_drivers() for cls in classes]

    assert offered == [DrupalDriver, WordPressDriver]
