"""What both drivers do with a site's files: PHP literals, the alias map, diff-or-write.

Settings files are generated here as PHP source, not from templates: each value goes through
:func:`php_literal`, so a uri or an alias can never break out of its string.
"""

from __future__ import annotations

import difflib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..contexts.model import SiteContext
    from ..log import Logger
    from ..transport import Transport

#: The keys of a site's database account: in its credentials file (a JSON object, see
#: provision/services/db/credentials.py) and in the ``$_SERVER`` provision's PHP helpers fake.
DB_KEYS = ("db_type", "db_name", "db_user", "db_passwd", "db_host", "db_port")
#: The request variable in which the vhost names the site's credentials file (not a secret).
CREDENTIALS_VARIABLE = "db_credentials"
NO_ACCOUNT = "This site has no database settings; verify it in the hosting panel."
SETTINGS_MODE = 0o440
ALIAS_MAP_MODE = 0o644
_ALIAS_LINE = re.compile(r"^\$sites\['(?P<alias>[^'\\]+)'\]\s*=\s*'(?P<uri>[^'\\]+)';$")


@dataclass(frozen=True)
class SiteFile:
    """A file provision owns: where, what, its mode and (when set) its group."""

    path: Path
    content: str
    mode: int = SETTINGS_MODE
    group: str | None = None
    #: For the platform's shared alias map: the uri whose entries this write changes (only
    #: those are the site's, and only those are put back if the command is undone).
    alias_of: str | None = None


def php_literal(value: object) -> str:
    """``value`` as a single-quoted PHP string (only ``\\`` and ``'`` need escaping there)."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def random_salt(length: int = 48) -> str:
    """A random salt of URL-safe characters (safe inside any PHP string)."""
    return secrets.token_urlsafe(length)


def kept_value(old: str, pattern: str) -> str | None:
    """The value captured by ``pattern``'s ``value`` group in a previous file, if any."""
    match = re.search(pattern, old)
    return match["value"] if match else None


def read_existing(transport: Transport, path: Path) -> str:
    """A file's text as it is now; "" when it does not exist yet."""
    try:
        return transport.read_file(path).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def web_group(site: SiteContext) -> str:
    """The group the site's web server runs as (``web_group`` of its http service)."""
    return str(site.platform.web_server.get("web_group") or "www-data")


def account_lines() -> list[str]:
    """PHP that puts the site's database account in ``$aegir_db`` (keys ``DB_KEYS``), or answers
    503 Service Unavailable when it has none.

    A web request reads the credentials file its vhost names in ``db_credentials``: JSON that
    only the web server's group may read, so that the password is in no request variable,
    getenv() or phpinfo(). provision's helpers, and the WordPress settings of a backup archive,
    put the account in ``$_SERVER`` instead; it is taken out of there once read (not in a helper,
    whose settings Drupal may read twice in the one process provision runs).
    """
    keys = ", ".join(php_literal(key) for key in DB_KEYS)
    variable = f"$_SERVER[{php_literal(CREDENTIALS_VARIABLE)}]"
    return [
        "$aegir_db = array();",
        f"if (!empty({variable}) && is_readable({variable})) {{",
        f"  $aegir_db = (array) json_decode(file_get_contents({variable}), TRUE);",
        "}",
        f"foreach (array({keys}) as $aegir_key) {{",
        "  if (!isset($aegir_db[$aegir_key]) && isset($_SERVER[$aegir_key])) {",
        "    $aegir_db[$aegir_key] = (string) $_SERVER[$aegir_key];",
        "  }",
        "  if (PHP_SAPI !== 'cli') {",
        "    unset($_SERVER[$aegir_key], $_SERVER['REDIRECT_' . $aegir_key]);",
        "  }",
        "  if (!isset($aegir_db[$aegir_key]) || !is_scalar($aegir_db[$aegir_key])) {",
        "    header('HTTP/1.1 503 Service Unavailable');",
        f"    exit({php_literal(NO_ACCOUNT)});",
        "  }",
        "}",
        "unset($aegir_key);",
    ]


def plugin_settings(site: SiteContext, application: str) -> str:
    """The lines plugins add to the site's settings file (``provision_site_settings``), oldest
    plugin first, as a block to append; empty when no plugin adds any."""
    from ..plugins import plugin_manager

    lines: list[str] = []
    results = plugin_manager().hook.provision_site_settings(context=site, application=application)
    for result in reversed(results):
        if isinstance(result, str):
            lines.extend(result.splitlines())
        elif result:
            lines.extend(str(line) for line in result)
    if not lines:
        return ""
    return "\n// Added by provision plugins.\n" + "\n".join(lines) + "\n"


def alias_map(old: str, uri: str, aliases: list[str]) -> str:
    """The shared ``sites/sites.php`` with ``uri``'s aliases replaced by ``aliases``.

    Entries of other sites are kept as they are; an alias that pointed at another site now
    points at ``uri`` (the front end refuses taken aliases, so that only repairs drift).
    """
    entries: dict[str, str] = {}
    for line in old.splitlines():
        match = _ALIAS_LINE.match(line.strip())
        if match and match["uri"] != uri and match["alias"] != uri:
            entries[match["alias"]] = match["uri"]
    for alias in aliases:
        if alias and alias != uri:
            entries[alias] = uri
    lines = [
        "<?php",
        "/**",
        " * @file",
        " * Other addresses of the sites of this platform, written by provision: changes made",
        " * here are lost at the next verify. Maps each alias to the site's folder name.",
        " */",
        "",
    ]
    lines += [f"$sites[{php_literal(a)}] = {php_literal(u)};" for a, u in sorted(entries.items())]
    return "\n".join(lines) + "\n"


def aliases_in(text: str, uri: str) -> list[str]:
    """The aliases an alias map gives ``uri``, in order."""
    return [match["alias"] for match in map(_ALIAS_LINE.match, text.splitlines())
            if match and match["uri"] == uri]


def alias_map_file(transport: Transport, path: Path, uri: str, aliases: list[str]) -> SiteFile:
    """The alias map ``path`` with ``uri``'s entries replaced by ``aliases``."""
    return SiteFile(path, alias_map(read_existing(transport, path), uri, aliases),
                    ALIAS_MAP_MODE, alias_of=uri)


def write_site_files(
    files: list[SiteFile], transport: Transport, logger: Logger, *, dry_run: bool = False
) -> list[Path]:
    """Write each file whose content, mode or group differs; return the paths changed.

    In a dry run each change is logged as a unified diff and nothing is written. A folder
    made read-only by the application (Drupal makes its site folder 0555 and settings.php
    0444) gets its owner's write permission back first.
    """
    changed: list[Path] = []
    for item in files:
        old = read_existing(transport, item.path)
        mode = transport.file_mode(item.path)
        if old == item.content and mode == item.mode and item.group is None:
            continue
        if dry_run:
            if old != item.content:
                diff = difflib.unified_diff(
                    old.splitlines(keepends=True),
                    item.content.splitlines(keepends=True),
                    fromfile=f"{item.path} (now)",
                    tofile=f"{item.path} (after verify)",
                )
                logger.info(f"Would change {item.path}:\n{''.join(diff)}")
            elif mode != item.mode:
                logger.info(f"Would change the mode of {item.path} to {item.mode:o}.")
            changed.append(item.path)
            continue
        folder_mode = transport.file_mode(item.path.parent)
        if folder_mode is None:
            transport.makedirs(item.path.parent, 0o755)
        elif not folder_mode & 0o200:
            transport.run(["chmod", "u+w", str(item.path.parent)])
        if old != item.content or mode != item.mode:
            _write(transport, item, old)
            changed.append(item.path)
            logger.info(f"Wrote {item.path}")
        if item.group is not None:
            transport.run(["chgrp", item.group, str(item.path)])
    return changed


def _write(transport: Transport, item: SiteFile, old: str) -> None:
    """Write one file; the shared alias map is journaled by its entries, not its content."""
    if item.alias_of is None:
        transport.write_file(item.path, item.content, item.mode)
        return
    from ..journal import suspended
    from ..journal_actions import note_alias_map

    note_alias_map(item.path, item.alias_of, aliases_in(old, item.alias_of))
    with suspended():
        transport.write_file(item.path, item.content, item.mode)


def hide_secrets(logger: Logger, *values: Any) -> None:
    """Tell the logger to mask ``values`` (salts and passwords) wherever they would appear."""
    for value in values:
        logger.add_secret(value)
