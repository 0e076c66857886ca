"""WordPress's settings: the platform's ``wp-config.php`` and each site's ``wp-site.php``.

WordPress knows one site per codebase; provision's ``wp-config.php`` makes it many: it picks
``sites/<host>/wp-site.php`` from the request's host (aliases through ``sites/sites.php``),
reads the database account from the site's credentials file (which the vhost names, outside
every docroot) and makes the home and site URLs follow the host the visitor used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sitefiles import account_lines, kept_value, php_literal, random_salt

if TYPE_CHECKING:
    from ..base import DatabaseCredentials

SALT_NAMES = (
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
)
TABLE_PREFIX = "wp_"


def salts_of(old: str) -> dict[str, str]:
    """The salts of the previous ``wp-site.php``, new random ones for those missing."""
    return {
        name: kept_value(old, rf"define\('{name}',\s*'(?P<value>[A-Za-z0-9_-]+)'\);")
        or random_salt()
        for name in SALT_NAMES
    }


def wp_config_php() -> str:
    """The platform's ``wp-config.php`` (the same for every site of the platform)."""
    lines = [
        "<?php",
        "/**",
        " * WordPress settings of this platform, written by provision: changes made here are",
        " * lost at the next verify. Each site's own settings are in sites/<uri>/wp-site.php.",
        " */",
        "",
        "// The site is the one the request's host names, directly or through an alias.",
        "$aegir_host = strtolower(preg_replace('/:\\d+$/', '',",
        "  isset($_SERVER['HTTP_HOST']) ? $_SERVER['HTTP_HOST'] : ''));",
        "$sites = array();",
        "if (is_readable(__DIR__ . '/sites/sites.php')) {",
        "  include __DIR__ . '/sites/sites.php';",
        "}",
        "$aegir_uri = isset($sites[$aegir_host]) ? $sites[$aegir_host] : $aegir_host;",
        "unset($sites);",
        "if (!preg_match('/^[a-z0-9][a-z0-9.-]*$/', $aegir_uri)",
        "    || !is_readable(__DIR__ . '/sites/' . $aegir_uri . '/wp-site.php')) {",
        "  header('HTTP/1.1 404 Not Found');",
        "  exit('No site is configured for this address.');",
        "}",
        "define('AEGIR_SITE_URI', $aegir_uri);",
        "require __DIR__ . '/sites/' . AEGIR_SITE_URI . '/wp-site.php';",
        "",
        "// The hosting system's Cron queue requests /wp-cron.php on schedule, so no visitor",
        "// waits while WordPress asks its own address over HTTP (a site that wants that anyway",
        "// defines DISABLE_WP_CRON as false in its local-settings.php).",
        "if (!defined('DISABLE_WP_CRON')) {",
        "  define('DISABLE_WP_CRON', true);",
        "}",
        "",
        "// The database account is in a file outside the docroot that only the web server's",
        "// group reads (the vhost names it); no password is ever in this platform's files.",
        *account_lines(),
        "define('DB_NAME', $aegir_db['db_name']);",
        "define('DB_USER', $aegir_db['db_user']);",
        "define('DB_PASSWORD', $aegir_db['db_passwd']);",
        "define('DB_HOST', $aegir_db['db_host'] . ':' . $aegir_db['db_port']);",
        "define('DB_CHARSET', 'utf8mb4');",
        "define('DB_COLLATE', '');",
        "unset($aegir_db);",
        "",
        "// Links follow the address the visitor used (an alias without redirection stays one).",
        "$aegir_scheme = (!empty($_SERVER['HTTPS']) && $_SERVER['HTTPS'] !== 'off')",
        "  ? 'https' : 'http';",
        "define('WP_HOME', $aegir_scheme . '://' . $_SERVER['HTTP_HOST']);",
        "define('WP_SITEURL', WP_HOME);",
        "unset($aegir_host, $aegir_uri, $aegir_scheme);",
        "",
        "if (!defined('ABSPATH')) {",
        "  define('ABSPATH', __DIR__ . '/');",
        "}",
        "require_once ABSPATH . 'wp-settings.php';",
    ]
    return "\n".join(lines) + "\n"


def wp_site_php(uri: str, salts: dict[str, str]) -> str:
    """A site's ``wp-site.php``: its table prefix, salts and uploads folder."""
    lines = [
        "<?php",
        "/**",
        f" * Settings of {uri}, written by provision: changes made here are lost at the next",
        " * verify. Put your own settings in local-settings.php beside this file.",
        " */",
        "",
        f"$table_prefix = {php_literal(TABLE_PREFIX)};",
        f"define('UPLOADS', {php_literal(f'sites/{uri}/files')});",
    ]
    lines += [f"define('{name}', {php_literal(salts[name])});" for name in SALT_NAMES]
    lines += [
        "",
        "if (is_readable(__DIR__ . '/local-settings.php')) {",
        "  include_once __DIR__ . '/local-settings.php';",
        "}",
    ]
    return "\n".join(lines) + "\n"


def uncloaked_wp_site_php(uri: str, salts: dict[str, str], credentials: DatabaseCredentials) -> str:
    """``wp-site.php`` that also states the database account, for a backup archive.

    The platform's ``wp-config.php`` includes this file before it reads the account, so the
    archive's copy fills it in wherever no credentials file is there to give it (and takes it
    out of ``$_SERVER`` again once read).
    """
    values = {
        "db_type": "mysql",
        "db_name": credentials.name,
        "db_user": credentials.user,
        "db_passwd": credentials.password,
        "db_host": credentials.host,
        "db_port": str(credentials.port),
    }
    head = [
        "<?php",
        "// The database account of this archive's site, in the clear: keep the archive safe.",
        *[
            f"$_SERVER[{php_literal(k)}] = $_SERVER[{php_literal(k)}] ?? {php_literal(v)};"
            for k, v in values.items()
        ],
    ]
    return "\n".join(head) + "\n" + wp_site_php(uri, salts).removeprefix("<?php\n")
