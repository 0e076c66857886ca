"""A WordPress site on a copy of Debian's WordPress: provision's wp-config.php picks it by host,
the real helper installs it, Apache serves it, and the reset link lets the admin log in."""

from __future__ import annotations

import http.client
import http.cookies
import re
import stat
import urllib.parse
from pathlib import Path

import pytest

from provision.apps import WordPressDriver
from tests.fixtures.platforms import make_wordpress_platform
from tests.fixtures.stack import ApacheInstance, MariaDBAdmin
from tests.provision.apps.site_support import (
    quiet_logger,
    serve_site,
    site_context,
    site_database,
)

URI = "wp.example.test"


class Browser:
    """A minimal HTTP client for 127.0.0.1 that sends a Host header and keeps cookies (the
    site's address does not resolve here, so redirects are returned, not followed)."""

    def __init__(self, port: int, host: str) -> None:
        self.port, self.host = port, host
        self.cookies: dict[str, str] = {"wordpress_test_cookie": "WP%20Cookie%20check"}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        """(status, Location header, body) of one request."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "Host": self.host,
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        text = response.read().decode("utf-8", errors="replace")
        connection.close()
        return response.status, response.getheader("Location") or "", text


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
    assert "/etc/wordpress" not in config and "$_SERVER['db_passwd']" in config
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

        link = urllib.parse.urlsplit(result["login_link"])
        assert link.netloc == URI and link.path == "/wp-login.php"
        browser = Browser(apache_instance.port, URI)
        # WordPress moves the key into a cookie, then shows the new-password form.
        status, location, _ = browser.request("GET", f"{link.path}?{link.query}")
        assert status == 302 and "action=rp" in location
        status, _, page = browser.request("GET", "/wp-login.php?action=rp")
        key = re.search(r'name="rp_key" value="([^"]+)"', page)
        assert status == 200 and key is not None
        new_password = "A-long-new-password-9731"
        status, _, page = browser.request(
            "POST",
            "/wp-login.php?action=resetpass",
            {"pass1": new_password, "pass2": new_password, "rp_key": key[1],
             "wp-submit": "Save Password"},
        )
        assert "Your password has been reset" in page
        status, location, _ = browser.request(
            "POST", "/wp-login.php", {"log": "admin", "pwd": new_password, "wp-submit": "Log In",
                                      "testcookie": "1"}
        )
        assert status == 302 and "/wp-admin" in location
        status, _, page = browser.request("GET", "/wp-admin/")
        assert status == 200 and "Dashboard" in page

        packages = {p["short_name"]: p for p in driver.site_packages(
            site, credentials, quiet_logger())}
        assert packages["wordpress"]["schema_version"] > 0
        assert any(p["enabled"] for p in packages.values() if p["kind"] == "theme")
        assert driver.read_site_settings(site, credentials) == {
            "profile": "standard", "language": "en"}
