"""Settings files that need no server: Drupal 10's settings.php, the alias map, PHP values."""

from __future__ import annotations

from pathlib import Path

from provision.apps.phpserial import unserialize
from provision.apps.sitefiles import alias_map, php_literal
from provision.services.db.credentials import SiteCredentials
from tests.fixtures.platforms import make_drupal10_composer_platform
from tests.provision.apps.site_support import quiet_logger, site_context


def test_drupal10_settings_are_cloaked_and_keep_config_sync_under_private(
    aegir_root: Path,
) -> None:
    root = make_drupal10_composer_platform(aegir_root / "platforms" / "d10")
    site = site_context(aegir_root, root, "d10.example.test")
    driver = site.platform.application
    assert driver is not None
    driver.write_settings(site, site.platform.web_server.transport, quiet_logger())
    text = (root / "web/sites/d10.example.test/settings.php").read_text()
    assert "'password' => $aegir_db['db_passwd']" in text and "db_credentials" in text
    assert "$settings['hash_salt'] = '" in text
    assert (
        "$settings['config_sync_directory'] = 'sites/d10.example.test/private/config/sync';"
        in text
    )
    assert "'namespace' => 'Drupal\\\\mysql\\\\Driver\\\\Database\\\\mysql'" in text
    folders = driver.site_directories(site)
    assert folders[root / "web/sites/d10.example.test/private/config/sync"] == 0o2770

    secret = SiteCredentials("d10db", "d10user", "it's-a-secret", "127.0.0.1", 3306)
    name, uncloaked = driver.uncloaked_settings(site, secret)
    assert name == "settings.php" and "'password' => 'it\\'s-a-secret'," in uncloaked
    assert driver.read_site_settings(site) == {}  # a cloaked file names no account


def test_alias_map_keeps_other_sites_and_replaces_this_sites_aliases() -> None:
    old = alias_map("", "a.test", ["www.a.test", "old.a.test"])
    old = alias_map(old, "b.test", ["www.b.test"])
    new = alias_map(old, "a.test", ["www.a.test"])
    assert "$sites['www.b.test'] = 'b.test';" in new
    assert "$sites['www.a.test'] = 'a.test';" in new and "old.a.test" not in new
    assert "a.test" not in alias_map(new, "a.test", []).replace("b.test", "")


def test_php_values_are_quoted_and_read_back() -> None:
    assert php_literal("it's \\ fine") == "'it\\'s \\\\ fine'"
    stored = b'a:2:{i:0;s:19:"akismet/akismet.php";i:1;s:9:"hello.php";}'
    assert unserialize(stored) == {0: "akismet/akismet.php", 1: "hello.php"}
    language = b'O:8:"stdClass":1:{s:8:"language";s:2:"en";}'
    assert unserialize(language) == {"language": "en"}
    assert unserialize(b"s:5:\"broken") is None
