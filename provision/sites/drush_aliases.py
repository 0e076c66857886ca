"""Drush site aliases, as the original wrote them: an admin runs drush against a Drupal site by
name from the aegir user's shell, whatever platform the site lies on now.

    <root>/.drush/<uri>.alias.drushrc.php      Drush 8:  drush @<uri> status
    <root>/.drush/sites/<name>.site.yml        Drush 9+: drush @<name>.aegir status

The aegir root is the aegir user's home, so these are its ``~/.drush``. Drush 9+ alias names
are ``@<file name>.<environment>`` and a file name may not hold a dot, so ``<name>`` is the uri
with its dots as underscores and the one environment is ``aegir``. Verify writes both (through
the master's transport, so the command's journal keeps what they held); delete, and a move to
another uri, remove them after the commit point. WordPress sites get none: drush is Drupal's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..apps.sitefiles import php_literal
from ..spoke import master_files

if TYPE_CHECKING:
    from ..contexts.model import SiteContext
    from ..journal import Journal
    from ..log import Logger

ALIAS_MODE = 0o600
#: The Drush 9+ environment of every site alias this writes.
ENVIRONMENT = "aegir"


def drush_folder(site: SiteContext) -> Path:
    """``<root>/.drush``, the aegir user's own drush folder."""
    return Path(site.contexts.root) / ".drush"


def alias_files(site: SiteContext) -> list[Path]:
    """The site's Drush 8 and Drush 9+ alias files."""
    folder = drush_folder(site)
    return [folder / f"{site.uri}.alias.drushrc.php",
            folder / "sites" / f"{site.uri.replace('.', '_')}.site.yml"]


def wants_aliases(site: SiteContext) -> bool:
    """Only Drupal sites get drush aliases."""
    return site.driver.kind == "drupal"


def alias_values(site: SiteContext) -> dict[str, Any]:
    """What both files say about the site, as the original's alias did."""
    return {
        "context_type": "site",
        "uri": site.uri,
        "root": str(site.platform.docroot),
        "site_path": str(site.site_path),
        "platform": site.platform.name,
        "server": site.platform.web_server.name,
        "db_server": str(site.raw("db_server") or ""),
        "site_enabled": bool(site.raw("site_enabled")),
        "language": str(site.raw("language") or ""),
        "profile": str(site.raw("profile") or ""),
        "client_name": str(site.raw("client_name") or ""),
        "aliases": site.served_aliases,
        "redirect_aliases": site.redirected_aliases,
    }


def drush8_alias(site: SiteContext) -> str:
    """The Drush 8 alias file: ``$aliases['<uri>'] = array(...)``, every value a PHP literal."""
    lines = ["<?php", "// Written by provision on every verify of the site; changes are lost.",
             f"$aliases[{_php(site.uri)}] = array("]
    lines += [f"  {_php(key)} => {_php(value)}," for key, value in alias_values(site).items()]
    lines += [");", ""]
    return "\n".join(lines)


def drush9_alias(site: SiteContext) -> str:
    """The Drush 9+ site alias file. Its scalars are written as JSON strings, which YAML reads
    as they are (quotes, colons and backslashes included)."""
    values = alias_values(site)
    lines = ["# Written by provision on every verify of the site; changes are lost.",
             f"{ENVIRONMENT}:",
             f"  root: {json.dumps(values['root'])}",
             f"  uri: {json.dumps('http://' + site.uri)}",
             "  aegir:"]
    for key, value in values.items():
        if key not in ("root", "uri"):
            lines.append(f"    {key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def write_aliases(site: SiteContext, logger: Logger) -> list[Path]:
    """Write the site's alias files (0600) when they differ; returns those written."""
    if not wants_aliases(site):
        return []
    transport = master_files()
    written = []
    for path, text in zip(alias_files(site), (drush8_alias(site), drush9_alias(site)),
                          strict=True):
        transport.makedirs(path.parent, 0o700)
        try:
            if transport.read_file(path).decode("utf-8", "replace") == text:
                continue
        except FileNotFoundError:
            pass
        transport.write_file(path, text.encode(), ALIAS_MODE)
        written.append(path)
        logger.info(f"Wrote the drush alias {path}")
    return written


def remove_aliases_after_commit(site: SiteContext, journal: Journal) -> None:
    """Declare the removal of the site's alias files, run after the command's commit point."""
    for path in alias_files(site):
        journal.after_commit({"type": "remove_tree", "server": None, "path": str(path)})


def _php(value: Any) -> str:
    """A PHP literal of a string, bool or list of strings."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return "array(" + ", ".join(_php(item) for item in value) + ")"
    return php_literal(value)
