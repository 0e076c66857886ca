"""A WordPress site on a copy of Debian's WordPress: provision's wp-config.php picks it by host,
the real helper installs it, Apache serves it, and the reset link lets the admin log in."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from provision.apps import WordPressDriver
from tests.fixtures.platforms import make_wordpress_platform
from tests.fixtures.site_browser import SiteBrowser, set_wordpress_password_and_log_in
from tests.fixtures.stack import ApacheInstance, MariaDBAdmin
from tests.provision.apps.site_support import (
    quiet_logger,
    serve_site,
    site_context,
    site_database,
)

URI = "wp.example.test"


@pytest.fixture
def wordpress_site_root(aegir_root: Path) -> Path:
    """A copy of Debian's WordPress inside the aegir root, where www-data can read it."""
    return make_wordpress_platform(aegir_root / "platforms" / "wordpress")


def test_wordpress_settings_pick_the_site_by_host_and_hold_no_password(
    aegir_root: Path, wordpress_site_root: Path
) -> None:
    site = site_context(aegir_root, wordpress_site_root, URI, aliases=["www.wp.example.test"])
    driver = site.platform.application
    assert isinstance(driver, WordPressDriver)
    driver.write_settings(site, site.platform.web_server.transport, quiet_logger())
    config = (wordpress_site_root / "wp-config.php").read_text()
    assert "/etc/wordpress" not in config and "$_SERVER['db_credentials']" in config
    site_file = wordpress_site_root / "sites" / URI / "wp-site.php"
    assert stat.S_IMODE(site_file.stat().st_mode) == 0o440
    assert f"define('UPLOADS', 'sites/{URI}/files');" in site_file.read_text()
    assert "$sites['www.wp.example.test'] = 'wp.example.test';" in (
        wordpress_site_root / "sites/sites.php"
    ).read_text()


def test_installed_wordpress_shows_its_title_and_the_reset_link_lets_the_admin_log_in(
    aegir_root: Path,
    wordpress_site_root: Path,
    mariadb_admin: MariaDBAdmin,
    apache_instance: ApacheInstance,
) -> None:
    site = site_context(aegir_root, wordpress_site_root, URI)
    driver = site.platform.application
    assert driver is not None
    transport = site.platform.web_server.transport
    with site_database(mariadb_admin) as credentials:
        for folder, mode in driver.site_directories(site).items():
            transport.makedirs(folder, mode)
        driver.write_settings(site, transport, quiet_logger())
        result = driver.install_site(site, credentials, quiet_logger())
        assert result["cron_key"] and result["profile"] == "standard"

        serve_site(apache_instance, site, credentials)
        apache_instance.wait_for_body(f"<title>{URI}", host=URI)

        browser = SiteBrowser(apache_instance.port, URI)
        set_wordpress_password_and_log_in(
            browser, result["login_link"], "A-long-new-password-9731")

        packages = {p["short_name"]: p for p in driver.site_packages(
            site, credentials, quiet_logger())}
        assert packages["wordpress"]["schema_version"] > 0
        assert any(p["enabled"] for p in packages.values() if p["kind"] == "theme")
        assert driver.read_site_settings(site, credentials) == {
            "profile": "standard", "language": "en"}

        # A backup archive's wp-site.php states the account: on a server that names no
        # credentials file the site still reaches its database, and $_SERVER keeps no password.
        name, uncloaked = driver.uncloaked_settings(site, credentials)
        site_file = wordpress_site_root / "sites" / URI / name
        site_file.chmod(0o640)
        site_file.write_text(uncloaked)
        serve_site(apache_instance, site, None)
        probe = wordpress_site_root / "probe-archive.php"
        probe.write_text("<?php\nrequire __DIR__ . '/wp-config.php';\n"
                         "echo json_encode(array('db' => DB_NAME, 'server' => $_SERVER));\n")
        try:
            status, body = apache_instance.get(f"/{probe.name}", URI)
        finally:
            probe.unlink()
        assert status == 200, body[:500]
        found = json.loads(body)
        assert found["db"] == credentials.name and "db_credentials" not in found["server"]
        assert credentials.password not in json.dumps(found["server"])
