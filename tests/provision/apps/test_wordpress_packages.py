"""The plugins, themes, profiles and sites a WordPress platform verify reports, read from
Debian's real WordPress package."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from provision.apps import WordPressDriver, detect, version_code
from provision.apps.wordpress import file_headers
from tests.fixtures.platforms import debian_wordpress_version


def _wordpress(root: Path) -> WordPressDriver:
    driver = detect(root)
    assert isinstance(driver, WordPressDriver)
    return driver


def _stable_tag(readme: Path) -> str:
    """The release a plugin's or theme's readme.txt announces ("Stable tag: 5.0.2")."""
    match = re.search(r"^Stable tag:\s*(\S+)", readme.read_text(), re.MULTILINE)
    assert match, f"{readme} has no Stable tag line"
    return match[1]


def _by_name(packages: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {p["short_name"]: p for p in packages if p["kind"] == kind}


def test_wordpress_core_reports_debians_version_and_db_schema(
    shared_wordpress_platform: Path,
) -> None:
    core = _wordpress(shared_wordpress_platform).packages()[0]
    db_version = re.search(
        r"\$wp_db_version = (\d+);",
        (shared_wordpress_platform / "wp-includes/version.php").read_text(),
    )

    assert db_version
    assert (core["short_name"], core["kind"], core["name"]) == ("wordpress", "core", "WordPress")
    assert core["version"] == debian_wordpress_version()
    assert core["version_code"] == version_code(
        ".".join(core["version"].split(".")[:2]), core["version"]
    )
    assert core["schema_version"] == int(db_version[1])
    assert core["path"] == "wp-includes/version.php"


def test_debians_bundled_plugin_and_theme_report_their_header_versions(
    shared_wordpress_platform: Path,
) -> None:
    packages = _wordpress(shared_wordpress_platform).packages()
    plugins, themes = _by_name(packages, "plugin"), _by_name(packages, "theme")
    content = shared_wordpress_platform / "wp-content"

    assert sorted(plugins) == ["akismet"]
    assert plugins["akismet"]["name"] == "Akismet Anti-Spam"
    assert plugins["akismet"]["version"] == _stable_tag(content / "plugins/akismet/readme.txt")
    assert plugins["akismet"]["path"] == "wp-content/plugins/akismet/akismet.php"
    assert sorted(themes) == ["twentytwentythree"]
    assert themes["twentytwentythree"]["name"] == "Twenty Twenty-Three"
    assert themes["twentytwentythree"]["version"] == _stable_tag(
        content / "themes/twentytwentythree/readme.txt"
    )
    assert themes["twentytwentythree"]["description"].startswith("Twenty Twenty-Three is")


def test_single_file_plugins_count_and_headerless_files_do_not(wordpress_platform: Path) -> None:
    plugins_dir = wordpress_platform / "wp-content/plugins"
    (plugins_dir / "hello.php").write_text(
        "<?php\n/**\n * @package Hello_Dolly\n * @version 1.7.2\n */\n/*\n"
        "Plugin Name: Hello Dolly\nDescription: A song.\nVersion: 1.7.2\n*/\n"
    )
    (plugins_dir / "notes.txt").write_text("Plugin Name: not a PHP file\n")
    (plugins_dir / "half-uploaded").mkdir()
    (plugins_dir / "half-uploaded/functions.php").write_text("<?php // no header yet\n")

    plugins = _by_name(_wordpress(wordpress_platform).packages(), "plugin")

    assert sorted(plugins) == ["akismet", "hello"]
    assert (plugins["hello"]["name"], plugins["hello"]["version"]) == ("Hello Dolly", "1.7.2")
    assert plugins["hello"]["path"] == "wp-content/plugins/hello.php"


def test_a_theme_without_a_theme_name_is_not_a_theme(wordpress_platform: Path) -> None:
    themes_dir = wordpress_platform / "wp-content/themes"
    (themes_dir / "assets-only").mkdir()
    (themes_dir / "assets-only/style.css").write_text("body { color: black; }\n")
    (themes_dir / "child").mkdir()
    (themes_dir / "child/style.css").write_text(
        "/*\n Theme Name: Child Theme */\n/* Template: twentytwentythree\nVersion: 0.3 */\n"
    )

    themes = _by_name(_wordpress(wordpress_platform).packages(), "theme")

    assert sorted(themes) == ["child", "twentytwentythree"]
    assert (themes["child"]["name"], themes["child"]["version"]) == ("Child Theme", "0.3")


def test_wordpress_offers_one_install_profile(shared_wordpress_platform: Path) -> None:
    assert _wordpress(shared_wordpress_platform).profiles() == ["standard"]


def test_wordpress_sites_are_folders_with_a_site_file(wordpress_platform: Path) -> None:
    driver = _wordpress(wordpress_platform)
    assert driver.sites() == []
    for uri in ("blog.example.com", "news.example.com", "empty.example.com"):
        (driver.sites_dir / uri).mkdir(parents=True)
    (driver.sites_dir / "news.example.com/wp-site.php").write_text("<?php\n")
    (driver.sites_dir / "blog.example.com/wp-site.php").write_text("<?php\n")

    assert driver.sites() == ["blog.example.com", "news.example.com"]


def test_headers_are_read_only_from_the_start_of_a_file(tmp_path: Path) -> None:
    plugin = tmp_path / "late.php"
    plugin.write_text("<?php\n" + "// padding\n" * 1000 + "/*\nPlugin Name: Too late\n*/\n")

    assert "plugin name" not in file_headers(plugin)
