"""A site's folder and the folders inside it, with the modes and group the protocol gives them."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from ..spoke import master_files
from .driver import call_driver

if TYPE_CHECKING:
    from ..contexts.model import SiteContext
    from ..log import Logger

SITE_FOLDER_MODE = 0o755


def wanted_folders(site: SiteContext) -> dict[Path, int]:
    """The site folder and the driver's folders inside it, each with its mode."""
    folders = {site.site_path: SITE_FOLDER_MODE}
    folders.update(call_driver(site.driver, "site_directories", site))
    return folders


def ensure_site_folders(site: SiteContext, logger: Logger, *, dry_run: bool = False) -> list[Path]:
    """Create the site's folders or repair their modes; give them to the web group.

    Returns the folders that were (or, in a dry run, would be) created or changed.
    """
    transport = master_files()
    group = str(site.web_server.raw("web_group") or "www-data")
    changed = []
    for folder, mode in wanted_folders(site).items():
        current = transport.file_mode(folder)
        if current == mode and (mode & stat.S_ISGID) == 0:
            continue
        if current != mode:
            changed.append(folder)
            if dry_run:
                shown = "missing" if current is None else oct(current)
                logger.info(f"Would set {folder} to mode {oct(mode)} (now {shown}).")
                continue
        if dry_run:
            continue
        transport.makedirs(folder, mode)
        if mode & stat.S_ISGID:
            # Files the application creates inherit the group through the setgid bit.
            transport.set_group(folder, group)
            transport.chmod(folder, mode)
        if current != mode:
            logger.info(f"Set {folder} to mode {oct(mode)}.")
    return changed


def make_writable(path: Path) -> None:
    """Give the owner write permission on ``path`` and everything in it (Drupal removes it)."""
    for folder, _dirs, names in os.walk(path):
        os.chmod(folder, stat.S_IMODE(os.lstat(folder).st_mode) | stat.S_IRWXU)
        for name in names:
            item = Path(folder) / name
            if not item.is_symlink():
                os.chmod(item, stat.S_IMODE(os.lstat(item).st_mode) | stat.S_IWUSR)
