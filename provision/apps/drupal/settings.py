"""Drupal's ``sites/<uri>/settings.php`` for Drupal 7 and Drupal 8+, cloaked or literal.

A cloaked file reads the database account from the site's credentials file, which the vhost
names and only the web server's group reads (see ``sitefiles.account_lines``); a literal one
(for backup archives) states it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..sitefiles import DB_KEYS, account_lines, kept_value, php_literal, random_salt

if TYPE_CHECKING:
    from ..base import DatabaseCredentials

D7_SALT = r"\$drupal_hash_salt\s*=\s*'(?P<value>[A-Za-z0-9_-]+)';"
D8_SALT = r"\$settings\['hash_salt'\]\s*=\s*'(?P<value>[A-Za-z0-9_-]+)';"
# Drupal 9.4+ keeps its MySQL driver in the mysql module; naming it avoids a lookup.
D10_MYSQL_NAMESPACE = "Drupal\\mysql\\Driver\\Database\\mysql"
D10_MYSQL_AUTOLOAD = "core/modules/mysql/src/Driver/Database/mysql/"


def salt_of(old: str, core: str) -> str:
    """The hash salt of the previous settings file, else a new random one."""
    return kept_value(old, D7_SALT if core == "7" else D8_SALT) or random_salt()


def settings_php(
    *,
    uri: str,
    core: str,
    salt: str,
    aegir_root: Path,
    credentials: DatabaseCredentials | None = None,
) -> str:
    """The whole settings.php of ``uri``; literal credentials when ``credentials`` is given."""
    lines = [
        "<?php",
        "/**",
        " * @file",
        f" * Settings of {uri}, written by provision: changes made here are lost at the next",
        " * verify. Put your own settings in local.settings.php beside this file.",
        " */",
        "",
    ]
    lines += _database_lines(core, credentials)
    site = f"sites/{uri}"
    if core == "7":
        lines += [
            f"$drupal_hash_salt = {php_literal(salt)};",
            f"$conf['file_public_path'] = {php_literal(site + '/files')};",
            f"$conf['file_private_path'] = {php_literal(site + '/private/files')};",
            f"$conf['file_temporary_path'] = {php_literal(site + '/private/temp')};",
        ]
    else:
        lines += [
            f"$settings['hash_salt'] = {php_literal(salt)};",
            f"$settings['config_sync_directory'] = {php_literal(site + '/private/config/sync')};",
            f"$settings['file_public_path'] = {php_literal(site + '/files')};",
            f"$settings['file_private_path'] = {php_literal(site + '/private/files')};",
            f"$settings['file_temp_path'] = {php_literal(site + '/private/temp')};",
        ]
    global_inc = aegir_root / "config" / "includes" / "global.inc"
    lines += [
        "",
        "// Settings every site of this server shares, then this platform's, then this site's.",
        f"if (is_readable({php_literal(global_inc)})) {{",
        f"  include_once {php_literal(global_inc)};",
        "}",
        "if (is_readable(dirname(__DIR__) . '/all/platform.settings.php')) {",
        "  include_once dirname(__DIR__) . '/all/platform.settings.php';",
        "}",
        "if (is_readable(__DIR__ . '/local.settings.php')) {",
        "  include_once __DIR__ . '/local.settings.php';",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _database_lines(core: str, credentials: DatabaseCredentials | None) -> list[str]:
    """``$databases`` from the credentials file (``$aegir_db``) or from literal ``credentials``."""
    if credentials is None:
        values = {key: f"$aegir_db[{php_literal(key)}]" for key in DB_KEYS}
    else:
        values = {
            "db_type": php_literal("mysql"),
            "db_name": php_literal(credentials.name),
            "db_user": php_literal(credentials.user),
            "db_passwd": php_literal(credentials.password),
            "db_host": php_literal(credentials.host),
            "db_port": php_literal(credentials.port),
        }
    array = ["array(", ")"] if core == "7" else ["[", "]"]
    lines = []
    if credentials is None:
        lines += [
            "// The database account is in a file outside the docroot that only the web",
            "// server's group reads (the vhost names it); no password is ever in this file.",
            *account_lines(),
        ]
    entries = [
        ("driver", values["db_type"]),
        ("database", values["db_name"]),
        ("username", values["db_user"]),
        ("password", values["db_passwd"]),
        ("host", values["db_host"]),
        ("port", values["db_port"]),
        ("prefix", "''"),
    ]
    if core != "7" and int(core or 0) >= 10:
        entries += [
            ("namespace", php_literal(D10_MYSQL_NAMESPACE)),
            ("autoload", php_literal(D10_MYSQL_AUTOLOAD)),
        ]
    lines.append(f"$databases['default']['default'] = {array[0]}")
    lines += [f"  '{key}' => {value}," for key, value in entries]
    lines.append(f"{array[1]};")
    if credentials is None:
        lines.append("unset($aegir_db);")
    return lines + [""]
