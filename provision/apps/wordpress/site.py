"""A WordPress site's life on its platform: settings, install, login link, plugins."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ApplicationError
from ..helper import credentials_request, helper_path, run_helper
from ..phpserial import unserialize
from ..sitefiles import (
    SiteFile,
    alias_map_file,
    hide_secrets,
    plugin_settings,
    read_existing,
    web_group,
    write_site_files,
)
from .settings import TABLE_PREFIX, salts_of, uncloaked_wp_site_php, wp_config_php, wp_site_php

if TYPE_CHECKING:
    from ...contexts.model import SiteContext
    from ...log import Logger
    from ...transport import Transport
    from ..base import DatabaseCredentials
    from .driver import WordPressDriver

SITE_FILE = "wp-site.php"
PLATFORM_CONFIG_MODE = 0o644  # holds no secret: the web server must read it
HELPER = helper_path("wordpress", "wordpress.php")


def platform_files(driver: WordPressDriver) -> list[SiteFile]:
    """The platform's ``wp-config.php``."""
    return [SiteFile(driver.root / "wp-config.php", wp_config_php(), PLATFORM_CONFIG_MODE)]


def settings_files(
    driver: WordPressDriver, site: SiteContext, transport: Transport
) -> list[SiteFile]:
    """``wp-config.php``, ``sites/<uri>/wp-site.php`` (0440, web group) and ``sites/sites.php``."""
    site_file = driver.site_path(site.uri) / SITE_FILE
    salts = salts_of(read_existing(transport, site_file))
    sites_php = driver.sites_dir / "sites.php"
    aliases = site.served_aliases
    return [
        *platform_files(driver),
        SiteFile(site_file, wp_site_php(site.uri, salts) + plugin_settings(site, driver.kind),
                 group=web_group(site)),
        alias_map_file(transport, sites_php, site.uri, aliases),
    ]


def write_settings(
    driver: WordPressDriver,
    site: SiteContext,
    transport: Transport,
    logger: Logger,
    dry_run: bool = False,
) -> list[Path]:
    """Write the platform's and the site's settings (see AppDriver.write_settings)."""
    files = settings_files(driver, site, transport)
    hide_secrets(logger, *salts_of(files[1].content).values())
    return write_site_files(files, transport, logger, dry_run=dry_run)


def uncloaked_settings(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials
) -> tuple[str, str]:
    """``wp-site.php`` that also fills in the database account, for a backup archive."""
    site_file = driver.site_path(site.uri) / SITE_FILE
    old = site_file.read_text() if site_file.is_file() else ""
    content = uncloaked_wp_site_php(site.uri, salts_of(old), credentials)
    return SITE_FILE, content + plugin_settings(site, driver.kind)


def _request(site: SiteContext, credentials: DatabaseCredentials, action: str) -> dict[str, Any]:
    """What the helper needs for ``action``."""
    return {
        "action": action,
        "root": str(site.platform.root),
        "uri": site.uri,
        "db": credentials_request(credentials),
        "title": site.uri,
        "admin_mail": str(site.get("client_email") or f"admin@{site.uri}"),
        "language": str(site.get("language") or "en"),
    }


def install_site(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
) -> dict[str, Any]:
    """``wp_install()`` through the helper; returns the login link, cron key, profile, language."""
    logger.info(f"Installing WordPress {driver.version} on {site.uri}")
    result = run_helper(
        HELPER,
        _request(site, credentials, "install"),
        logger,
        action="install",
        secrets=(credentials.password,),
    )
    logger.success(f"Installed WordPress on {site.uri}.")
    return {
        "login_link": str(result.get("login_link") or ""),
        "cron_key": str(result.get("cron_key") or ""),
        "profile": "standard",
        "language": str(result.get("language") or site.get("language") or "en"),
    }


def login_link(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
) -> str:
    """A password-reset link for the admin account (WordPress's one-time way in)."""
    result = run_helper(
        HELPER,
        _request(site, credentials, "login_link"),
        logger,
        action="login link",
        secrets=(credentials.password,),
    )
    return str(result.get("login_link") or "")


def _options(credentials: DatabaseCredentials, names: tuple[str, ...]) -> dict[str, Any]:
    """The named rows of the site's options table, as stored (serialized values stay so)."""
    from ...services.db.connection import Credentials, connect

    account = Credentials(
        credentials.host, int(credentials.port), credentials.user, credentials.password
    )
    connection = connect(account, database=credentials.name)
    placeholders = ", ".join(["%s"] * len(names))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT option_name, option_value FROM {TABLE_PREFIX}options "
                f"WHERE option_name IN ({placeholders})",
                names,
            )
            return {str(name): value for name, value in cursor.fetchall()}
    except Exception as error:  # PyMySQL's errors: no options table means no WordPress there
        raise ApplicationError(
            f"The database {credentials.name} holds no installed WordPress ({error}); install "
            "the site or import its database, then verify again."
        ) from None
    finally:
        connection.close()


def site_packages(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
) -> list[dict[str, Any]]:
    """Platform packages with ``enabled`` from ``active_plugins``, ``template`` and
    ``stylesheet``; core's ``schema_version`` is the site's ``db_version``."""
    options = _options(credentials, ("active_plugins", "template", "stylesheet", "db_version"))
    active = unserialize(options.get("active_plugins"))
    plugins = set(active.values()) if isinstance(active, dict) else set()
    themes = {options.get("template"), options.get("stylesheet")}
    packages = []
    for package in driver.packages():
        package = dict(package)
        if package["kind"] == "core":
            package["enabled"] = True
            package["schema_version"] = int(options.get("db_version") or 0)
        elif package["kind"] == "plugin":
            package["enabled"] = package["path"].removeprefix("wp-content/plugins/") in plugins
        else:
            package["enabled"] = package["short_name"] in themes
        packages.append(package)
    logger.info(
        f"{sum(p['enabled'] for p in packages)} of {len(packages)} packages are enabled "
        f"on {site.uri}."
    )
    return packages


def read_site_settings(
    driver: WordPressDriver, site: SiteContext, credentials: DatabaseCredentials | None
) -> dict[str, Any]:
    """WordPress sites have one profile; the language is the ``WPLANG`` option ("en" if unset).
    Credentials are never in a file of a cloaked platform: pass those of the credentials file."""
    found: dict[str, Any] = {"profile": "standard"}
    if credentials is not None:
        language = str(_options(credentials, ("WPLANG",)).get("WPLANG") or "")
        found["language"] = language or "en"
    return found
