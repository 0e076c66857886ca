"""A Drupal 7 site on the generated stand-in: settings, install through the real helper,
served by a real Apache with cloaked credentials, one-time login, packages from its database."""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

import pytest

from provision.apps import DrupalDriver
from provision.errors import ApplicationError
from tests.fixtures.platforms import make_drupal7_platform
from tests.fixtures.stack import ApacheInstance, MariaDBAdmin
from tests.provision.apps.site_support import (
    quiet_logger,
    serve_site,
    site_context,
    site_database,
)

URI = "d7.example.test"


@pytest.fixture
def drupal7_site_root(aegir_root: Path) -> Path:
    """A Drupal 7 stand-in platform inside the aegir root, where www-data can read it."""
    return make_drupal7_platform(aegir_root / "platforms" / "drupal7")


def test_settings_file_reads_the_database_account_from_the_web_server_and_holds_no_password(
    aegir_root: Path, drupal7_site_root: Path
) -> None:
    site = site_context(aegir_root, drupal7_site_root, URI, aliases=["www.d7.example.test"])
    driver = site.platform.application
    assert isinstance(driver, DrupalDriver)
    transport = site.platform.web_server.transport
    written = driver.write_settings(site, transport, quiet_logger())

    settings = drupal7_site_root / "sites" / URI / "settings.php"
    assert settings in written
    text = settings.read_text()
    assert "$_SERVER['db_credentials']" in text and "'password' => $aegir_db['db_passwd']" in text
    assert stat.S_IMODE(settings.stat().st_mode) == 0o440
    assert grp.getgrgid(settings.stat().st_gid).gr_name == "www-data"
    assert "$sites['www.d7.example.test'] = 'd7.example.test';" in (
        drupal7_site_root / "sites/sites.php"
    ).read_text()
    # The hash salt survives a rewrite, and an unchanged site needs no write at all.
    salt_line = next(line for line in text.splitlines() if "drupal_hash_salt" in line)
    assert driver.write_settings(site, transport, quiet_logger()) == []
    assert salt_line in settings.read_text()


def test_dry_run_shows_the_diff_and_writes_nothing(
    aegir_root: Path, drupal7_site_root: Path
) -> None:
    site = site_context(aegir_root, drupal7_site_root, URI)
    driver = site.platform.application
    assert driver is not None
    logger = quiet_logger()
    would = driver.write_settings(site, site.platform.web_server.transport, logger, dry_run=True)
    assert drupal7_site_root / "sites" / URI / "settings.php" in would
    assert not (drupal7_site_root / "sites" / URI).exists()
    shown = logger.err.getvalue()  # type: ignore[attr-defined]
    assert f"+$conf['file_public_path'] = 'sites/{URI}/files';" in shown
    assert "drupal_hash_salt = '********'" in shown


def test_installed_site_is_served_with_its_title_and_its_login_link_works_once(
    aegir_root: Path,
    drupal7_site_root: Path,
    mariadb_admin: MariaDBAdmin,
    apache_instance: ApacheInstance,
) -> None:
    site = site_context(aegir_root, drupal7_site_root, URI, aliases=["alias.d7.example.test"])
    driver = site.platform.application
    assert driver is not None
    transport = site.platform.web_server.transport
    with site_database(mariadb_admin) as credentials:
        for folder, mode in driver.site_directories(site).items():
            transport.makedirs(folder, mode)
        driver.write_settings(site, transport, quiet_logger())
        result = driver.install_site(site, credentials, quiet_logger())

        assert result["profile"] == "standard" and result["cron_key"]
        folder = drupal7_site_root / "sites" / URI
        assert os.access(folder, os.W_OK) and grp.getgrgid(
            (folder / "files").stat().st_gid
        ).gr_name == "www-data"
        assert credentials.password not in (folder / "settings.php").read_text()

        serve_site(apache_instance, site, credentials)
        body = apache_instance.wait_for_body(f"<title>{URI}</title>", host=URI)
        assert "Welcome to" in body
        assert f"<title>{URI}</title>" in apache_instance.get("/", "alias.d7.example.test")[1]

        link = result["login_link"]
        assert link.startswith(f"http://{URI}/user/reset/1/") and link.endswith("/login")
        path = link.removeprefix(f"http://{URI}")
        status, body = apache_instance.get(path, URI)
        assert status == 200 and "one-time login link" in body
        status, body = apache_instance.get(path, URI)
        assert status == 403 and "has either been used" in body

        fresh = driver.login_link(site, credentials, quiet_logger())
        assert apache_instance.get(fresh.removeprefix(f"http://{URI}"), URI)[0] == 200

        found_packages = driver.site_packages(site, credentials, quiet_logger())
        packages = {p["short_name"]: p for p in found_packages}
        assert packages["node"]["enabled"] and packages["node"]["schema_version"] == 7016
        assert packages["standard"]["enabled"] and not packages["minimal"]["enabled"]
        assert not packages["views"]["enabled"] and packages["views"]["schema_version"] == -1

        found = driver.read_site_settings(site, credentials)
        assert found == {"profile": "standard", "language": "en"}
        name, uncloaked = driver.uncloaked_settings(site, credentials)
        assert name == "settings.php" and f"'password' => '{credentials.password}'" in uncloaked


def test_installing_twice_fails_with_the_installer_message_and_no_password(
    aegir_root: Path, drupal7_site_root: Path, mariadb_admin: MariaDBAdmin
) -> None:
    site = site_context(aegir_root, drupal7_site_root, URI)
    driver = site.platform.application
    assert driver is not None
    with site_database(mariadb_admin) as credentials:
        driver.write_settings(site, site.platform.web_server.transport, quiet_logger())
        driver.install_site(site, credentials, quiet_logger())
        with pytest.raises(ApplicationError, match="already installed") as failure:
            driver.install_site(site, credentials, quiet_logger())
        assert credentials.password not in str(failure.value)
