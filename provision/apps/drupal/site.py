"""A Drupal site's life on its platform: settings, folders, install, login link, packages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ApplicationError
from ...spoke import MASTER
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
from .settings import salt_of, settings_php

if TYPE_CHECKING:
    from ...contexts.model import SiteContext
    from ...log import Logger
    from ...transport import Transport
    from ..base import DatabaseCredentials
    from .driver import DrupalDriver

WRITABLE = 0o2770  # setgid: files the web server creates keep the web group
SHARED = 0o2775


def site_directories(driver: DrupalDriver, site: SiteContext) -> dict[Path, int]:
    """The site's folders and modes (Drupal 8+ adds its config sync folder under private)."""
    base = driver.site_path(site.uri)
    folders = {
        base / "files": WRITABLE,
        base / "private": WRITABLE,
        base / "private/files": WRITABLE,
        base / "private/temp": WRITABLE,
        base / "modules": SHARED,
        base / "themes": SHARED,
        base / "libraries": SHARED,
    }
    if driver.core != "7":
        folders[base / "private/config"] = WRITABLE
        folders[base / "private/config/sync"] = WRITABLE
    return folders


def settings_files(
    driver: DrupalDriver, site: SiteContext, transport: Transport
) -> list[SiteFile]:
    """settings.php (0440, web group) and the platform's sites.php with this site's aliases."""
    settings = driver.site_path(site.uri) / "settings.php"
    content = settings_php(
        uri=site.uri,
        core=driver.core,
        salt=salt_of(read_existing(transport, settings), driver.core),
        aegir_root=site.contexts.root,
    ) + plugin_settings(site, driver.kind)
    sites_php = driver.sites_dir / "sites.php"
    aliases = site.served_aliases
    return [
        SiteFile(settings, content, group=web_group(site)),
        alias_map_file(transport, sites_php, site.uri, aliases),
    ]


def write_settings(
    driver: DrupalDriver,
    site: SiteContext,
    transport: Transport,
    logger: Logger,
    dry_run: bool = False,
) -> list[Path]:
    """Write settings.php and sites.php (see AppDriver.write_settings)."""
    files = settings_files(driver, site, transport)
    hide_secrets(logger, salt_of(files[0].content, driver.core))
    return write_site_files(files, transport, logger, dry_run=dry_run)


def uncloaked_settings(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials
) -> tuple[str, str]:
    """settings.php with the account written out, for a backup archive."""
    settings = driver.site_path(site.uri) / "settings.php"
    old = settings.read_text() if settings.is_file() else ""
    content = settings_php(
        uri=site.uri,
        core=driver.core,
        salt=salt_of(old, driver.core),
        aegir_root=site.contexts.root,
        credentials=credentials,
    ) + plugin_settings(site, driver.kind)
    return "settings.php", content


def _request(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials, action: str
) -> dict[str, Any]:
    """What the helper needs for ``action``."""
    mail = str(site.get("client_email") or f"admin@{site.uri}")
    return {
        "action": action,
        "root": str(driver.docroot),
        "uri": site.uri,
        "db": credentials_request(credentials),
        "profile": str(site.get("profile") or "standard"),
        "language": str(site.get("language") or "en"),
        "site_mail": mail,
        "admin_mail": mail,
    }


def _script(driver: DrupalDriver) -> Path:
    return helper_path("drupal", "drupal7.php" if driver.core == "7" else "drupal8.php")


def install_site(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
) -> dict[str, Any]:
    """Install Drupal into the site's database, then give the folders back to provision and
    the web server (Drupal makes them read-only and owned by whoever ran the install)."""
    request = _request(driver, site, credentials, "install")
    logger.info(f"Installing Drupal {driver.version} ({request['profile']}) on {site.uri}")
    result = run_helper(
        _script(driver), request, logger, action="install", secrets=(credentials.password,)
    )
    transport = MASTER
    base = driver.site_path(site.uri)
    transport.run(["chmod", "u+w", str(base)])
    group = web_group(site)
    for folder, mode in site_directories(driver, site).items():
        transport.makedirs(folder, mode)
        transport.run(["chgrp", "-R", group, str(folder)])
    logger.success(f"Installed Drupal on {site.uri}.")
    return {
        "login_link": str(result.get("login_link") or ""),
        "cron_key": str(result.get("cron_key") or ""),
        "profile": str(result.get("profile") or request["profile"]),
        "language": str(result.get("language") or request["language"]),
    }


def login_link(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
) -> str:
    """A new one-time login link for user 1."""
    request = _request(driver, site, credentials, "login_link")
    result = run_helper(
        _script(driver), request, logger, action="login link", secrets=(credentials.password,)
    )
    return str(result.get("login_link") or "")


def site_packages(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials, logger: Logger
) -> list[dict[str, Any]]:
    """The platform's packages with ``enabled`` and ``schema_version`` from the site's database
    (Drupal 7: the ``system`` table; Drupal 8+: ``core.extension`` and ``system.schema``)."""
    state = _extension_state(driver, credentials)
    packages = []
    for package in driver.packages():
        package = dict(package)
        if package["kind"] == "core":
            package["enabled"] = True
        else:
            enabled, schema = state.get(package["short_name"], (False, -1))
            package["enabled"] = enabled
            package["schema_version"] = schema
        packages.append(package)
    logger.info(
        f"{sum(p['enabled'] for p in packages)} of {len(packages)} packages are enabled "
        f"on {site.uri}."
    )
    return packages


def _extension_state(
    driver: DrupalDriver, credentials: DatabaseCredentials
) -> dict[str, tuple[bool, int]]:
    """short name → (enabled, schema version) read with SQL (no Drupal bootstrap needed)."""
    rows = _query(credentials, _STATE_QUERIES["7" if driver.core == "7" else "8"])
    if driver.core == "7":
        return {str(name): (int(status) == 1, int(schema)) for name, status, schema in rows}
    state: dict[str, tuple[bool, int]] = {}
    for collection, name, value in rows:
        data = unserialize(value)
        if collection == "config" and isinstance(data, dict):
            for kind in ("module", "theme"):
                for short_name in data.get(kind) or {}:
                    state[str(short_name)] = (True, state.get(str(short_name), (True, -1))[1])
            if data.get("profile"):
                state[str(data["profile"])] = (True, -1)
        elif collection == "system.schema":
            enabled = state.get(str(name), (False, -1))[0]
            state[str(name)] = (enabled, int(data) if isinstance(data, int) else -1)
    return state


_STATE_QUERIES = {
    "7": "SELECT name, status, schema_version FROM system",
    # Enabled extensions first, so the schema rows that follow keep their enabled flag.
    "8": (
        "SELECT 'config', name, data FROM config WHERE collection = '' AND name = "
        "'core.extension' UNION ALL SELECT collection, name, value FROM key_value "
        "WHERE collection = 'system.schema'"
    ),
}


def _query(credentials: DatabaseCredentials, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` run in the site's own database as the site's own user."""
    from ...services.db.connection import Credentials, connect

    account = Credentials(
        credentials.host, int(credentials.port), credentials.user, credentials.password
    )
    connection = connect(account, database=credentials.name)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
    except Exception as error:  # PyMySQL's errors: a missing table means no Drupal there
        raise ApplicationError(
            f"The database {credentials.name} holds no installed Drupal {driver_label(sql)} "
            f"({error}); install the site or import its database, then verify again."
        ) from None
    finally:
        connection.close()


def driver_label(sql: str) -> str:
    """Which Drupal a state query is for, for error messages."""
    return "7" if "FROM system" in sql else "8 or later"


_LITERAL = r"'{key}'\s*=>\s*'(?P<value>(?:[^'\\]|\\.)*)'"


def read_site_settings(
    driver: DrupalDriver, site: SiteContext, credentials: DatabaseCredentials | None
) -> dict[str, Any]:
    """Literal credentials from settings.php (cloaked files have none), then the profile and
    language from the database when an account is known."""
    settings = driver.site_path(site.uri) / "settings.php"
    text = settings.read_text(errors="replace") if settings.is_file() else ""
    found: dict[str, Any] = {}
    for key, prop in (
        ("database", "db_name"),
        ("username", "db_user"),
        ("password", "db_passwd"),
        ("host", "db_host"),
        ("port", "db_port"),
    ):
        match = re.search(_LITERAL.format(key=key), text)
        if match:
            found[prop] = match["value"].replace("\\'", "'").replace("\\\\", "\\")
    if credentials is not None:
        found.update(_profile_and_language(driver, credentials))
    return found


def _profile_and_language(
    driver: DrupalDriver, credentials: DatabaseCredentials
) -> dict[str, str]:
    """The install profile and default language stored in the site's database."""
    if driver.core == "7":
        rows = _query(
            credentials,
            "SELECT name, value FROM variable WHERE name IN ('install_profile', "
            "'language_default')",
        )
        values = {str(name): unserialize(value) for name, value in rows}
        language = values.get("language_default")
        return {
            "profile": str(values.get("install_profile") or "standard"),
            "language": str(language.get("language") if isinstance(language, dict) else "en"),
        }
    rows = _query(
        credentials,
        "SELECT name, data FROM config WHERE collection = '' AND name IN "
        "('core.extension', 'system.site')",
    )
    data = {str(name): unserialize(value) for name, value in rows}
    extension, site_config = data.get("core.extension"), data.get("system.site")
    return {
        "profile": str(extension.get("profile") if isinstance(extension, dict) else "standard"),
        "language": str(
            site_config.get("langcode") if isinstance(site_config, dict) else "en"
        ),
    }
