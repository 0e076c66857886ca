"""The packages, profiles and sites a Drupal platform verify reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provision.apps import DrupalDriver, detect, version_code
from tests.fixtures.platforms import (
    DRUPAL7_CONTRIB,
    DRUPAL7_CORE_MODULES,
    DRUPAL10_CONTRIB,
    DRUPAL10_CORE_MODULES,
    write_drupal7_package,
    write_drupal8_package,
)


def _drupal(root: Path) -> DrupalDriver:
    driver = detect(root)
    assert isinstance(driver, DrupalDriver)
    return driver


def _by_name(packages: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """The packages of one kind outside any profile, by short name."""
    return {p["short_name"]: p for p in packages if p["kind"] == kind and p["profile"] is None}


def test_drupal7_core_comes_first_as_the_drupal_package(drupal7_platform: Path) -> None:
    core = _drupal(drupal7_platform).packages()[0]

    assert core == {
        "short_name": "drupal",
        "kind": "core",
        "name": "Drupal",
        "description": "",
        "version": "7.103",
        "version_code": version_code("7", "7.103"),
        "schema_version": 0,
        "path": "includes/bootstrap.inc",
        "profile": None,
    }


def test_drupal7_core_modules_take_cores_version_and_their_schema(drupal7_platform: Path) -> None:
    modules = _by_name(_drupal(drupal7_platform).packages(), "module")

    for name, updates in DRUPAL7_CORE_MODULES.items():
        assert modules[name]["version"] == "7.103"
        assert modules[name]["schema_version"] == max(updates, default=0)
        assert modules[name]["path"] == f"modules/{name}/{name}.info"
    assert modules["node"]["name"] == "Node"
    assert modules["node"]["description"] == "The node module of a generated Drupal 7 stand-in."


def test_drupal7_contrib_modules_report_their_packaged_versions(drupal7_platform: Path) -> None:
    modules = _by_name(_drupal(drupal7_platform).packages(), "module")

    for name, version in DRUPAL7_CONTRIB.items():
        assert modules[name]["version"] == version
        assert modules[name]["version_code"] == version_code("7", version)
        assert modules[name]["path"] == f"sites/all/modules/{name}/{name}.info"


def test_drupal7_lists_themes_and_visible_profiles_only(drupal7_platform: Path) -> None:
    driver = _drupal(drupal7_platform)
    packages = driver.packages()

    assert driver.profiles() == ["minimal", "standard"]
    assert sorted(_by_name(packages, "profile")) == ["minimal", "standard"]
    assert sorted(_by_name(packages, "theme")) == ["bartik", "seven"]
    assert "system_test" not in _by_name(packages, "module")


def test_hidden_drupal7_modules_are_left_out(drupal7_platform: Path) -> None:
    write_drupal7_package(drupal7_platform / "sites/all/modules/secret", "secret", hidden=True)
    write_drupal7_package(drupal7_platform / "sites/all/modules/shown", "shown", "7.x-1.0")

    modules = _by_name(_drupal(drupal7_platform).packages(), "module")

    assert "secret" not in modules
    assert modules["shown"]["version"] == "7.x-1.0"


def test_drupal7_modules_inside_a_profile_are_tagged_with_it(drupal7_platform: Path) -> None:
    profile = drupal7_platform / "profiles/standard"
    write_drupal7_package(profile / "modules/contrib/features", "features", "7.x-2.15")
    write_drupal7_package(profile / "themes/corporate", "corporate", "7.x-1.0", kind="theme")

    packages = _drupal(drupal7_platform).packages()
    tagged = {(p["short_name"], p["kind"]): p for p in packages if p["profile"] == "standard"}

    assert set(tagged) == {("features", "module"), ("corporate", "theme")}
    assert tagged[("features", "module")]["version"] == "7.x-2.15"
    assert tagged[("features", "module")]["path"] == (
        "profiles/standard/modules/contrib/features/features.info"
    )
    assert _by_name(packages, "profile")["standard"]["profile"] is None


def test_a_contrib_copy_of_a_drupal7_module_replaces_cores(drupal7_platform: Path) -> None:
    write_drupal7_package(drupal7_platform / "sites/all/modules/update", "update", "7.x-9.0")

    updates = [p for p in _drupal(drupal7_platform).packages() if p["short_name"] == "update"]

    assert [(p["version"], p["path"]) for p in updates] == [
        ("7.x-9.0", "sites/all/modules/update/update.info")
    ]


def test_a_symlinked_module_folder_is_scanned_once(drupal7_platform: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared-modules"
    write_drupal7_package(shared / "devel", "devel", "7.x-1.7", updates=[7001])
    (drupal7_platform / "sites/all/modules/shared").symlink_to(shared)
    (shared / "loop").symlink_to(drupal7_platform / "sites/all/modules")

    modules = [p for p in _drupal(drupal7_platform).packages() if p["short_name"] == "devel"]

    assert [(m["version"], m["schema_version"]) for m in modules] == [("7.x-1.7", 7001)]


def test_drupal7_sites_are_folders_with_a_settings_file(drupal7_platform: Path) -> None:
    sites = drupal7_platform / "sites"
    for uri in ("b.example.com", "a.example.com", "half-made.example.com"):
        (sites / uri).mkdir()
    (sites / "a.example.com/settings.php").write_text("<?php\n")
    (sites / "b.example.com/settings.php").write_text("<?php\n")
    (sites / "default/settings.php").write_text("<?php\n")
    (sites / "www.a.example.com").symlink_to(sites / "a.example.com")

    assert _drupal(drupal7_platform).sites() == ["a.example.com", "b.example.com"]


def test_drupal10_core_packages_resolve_version_to_core(drupal10_platform: Path) -> None:
    packages = _drupal(drupal10_platform).packages()
    modules = _by_name(packages, "module")

    assert packages[0]["short_name"] == "drupal"
    assert packages[0]["version"] == "10.2.3"
    assert packages[0]["path"] == "web/core/lib/Drupal.php"
    for name, updates in DRUPAL10_CORE_MODULES.items():
        assert modules[name]["version"] == "10.2.3"
        assert modules[name]["version_code"] == version_code("10", "10.2.3")
        # Drupal 8+ records 8000 for a module without updates of its own.
        assert modules[name]["schema_version"] == max(updates, default=8000)
        assert modules[name]["path"] == f"web/core/modules/{name}/{name}.info.yml"
    assert sorted(_by_name(packages, "theme")) == ["claro", "olivero"]


def test_drupal10_contrib_modules_report_their_packaged_versions(drupal10_platform: Path) -> None:
    modules = _by_name(_drupal(drupal10_platform).packages(), "module")

    for name, version in DRUPAL10_CONTRIB.items():
        assert modules[name]["version"] == version
        assert modules[name]["name"] == name.replace("_", " ").title()
        assert modules[name]["path"] == f"web/modules/contrib/{name}/{name}.info.yml"


def test_drupal10_profiles_and_their_own_packages(drupal10_platform: Path) -> None:
    driver = _drupal(drupal10_platform)
    packages = driver.packages()
    umami = {p["short_name"]: p["kind"] for p in packages if p["profile"] == "demo_umami"}

    assert driver.profiles() == ["demo_umami", "minimal", "standard"]
    assert umami == {"demo_umami_content": "module", "umami": "theme"}
    assert "system_test" not in {p["short_name"] for p in packages}


def test_a_contrib_drupal10_profile_owns_the_modules_in_its_folder(
    drupal10_platform: Path,
) -> None:
    profile = drupal10_platform / "web/profiles/contrib/commerce_kickstart"
    write_drupal8_package(profile, "commerce_kickstart", "3.0.0", kind="profile")
    write_drupal8_package(profile / "modules/kickstart_demo", "kickstart_demo", "3.0.0")

    driver = _drupal(drupal10_platform)
    packages = driver.packages()

    assert "commerce_kickstart" in driver.profiles()
    assert _by_name(packages, "profile")["commerce_kickstart"]["version"] == "3.0.0"
    assert [p["profile"] for p in packages if p["short_name"] == "kickstart_demo"] == [
        "commerce_kickstart"
    ]


def test_a_custom_drupal10_module_without_a_version_has_an_unknown_one(
    drupal10_platform: Path,
) -> None:
    custom = drupal10_platform / "web/modules/custom/site_tweaks"
    write_drupal8_package(custom, "site_tweaks", updates=[10001, 10003])
    write_drupal8_package(drupal10_platform / "web/themes/custom/brand", "brand", kind="theme")

    packages = _drupal(drupal10_platform).packages()
    tweaks = _by_name(packages, "module")["site_tweaks"]

    assert (tweaks["version"], tweaks["version_code"], tweaks["schema_version"]) == ("", 0, 10003)
    assert _by_name(packages, "theme")["brand"]["path"] == "web/themes/custom/brand/brand.info.yml"


def test_drupal10_sites_are_found_under_the_docroot(drupal10_platform: Path) -> None:
    site = drupal10_platform / "web/sites/shop.example.com"
    site.mkdir()
    (site / "settings.php").write_text("<?php\n")

    assert _drupal(drupal10_platform).sites() == ["shop.example.com"]


def test_describe_gives_the_platform_verify_result(drupal10_platform: Path) -> None:
    result = _drupal(drupal10_platform).describe()

    assert {k: v for k, v in result.items() if k != "packages"} == {
        "application": "drupal",
        "version": "10.2.3",
        "core": "10",
        "docroot": str(drupal10_platform / "web"),
        "profiles": ["demo_umami", "minimal", "standard"],
        "sites": [],
    }
    assert result["packages"][0]["kind"] == "core"


def test_a_drupal8_module_whose_updates_were_removed_reaches_the_last_removed_one(
    drupal10_platform: Path,
) -> None:
    folder = drupal10_platform / "web" / "modules" / "custom"
    info = write_drupal8_package(folder, "pruned", "1.0.0")
    (info.parent / "pruned.install").write_text(
        "<?php\nfunction pruned_update_last_removed(): int {\n  return 8701;\n}\n")
    write_drupal8_package(folder, "plain", "1.0.0")
    modules = _by_name(_drupal(drupal10_platform).packages(), "module")

    assert modules["pruned"]["schema_version"] == 8701
    assert modules["plain"]["schema_version"] == 8000
