"""A site's backup: its folder and database in ``<root>/backups/<uri>-YYYYMMDD.HHMMSS.tar.gz``.

The archive holds the site folder's contents with ``database.sql`` at its root, and the
settings file uncloaked (the driver gives its content) so that it deploys on any server. The
archive is 0600 in a 0700 folder: it holds the database password. The dump is made in a private
folder outside the docroot (the journal's), never in the site folder, so a backup stopped at
any moment leaves nothing a browser could fetch; the journal removes a half-written archive.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..journal import current
from ..journal_actions import note_file
from ..layout import ROOT_FOLDERS
from ..services.db.dump import dump_database
from ..spoke import MASTER, pull_site
from .driver import call_driver
from .steps import db_service, site_credentials

if TYPE_CHECKING:
    from ..contexts.model import SiteContext
    from ..log import Logger

DUMP_NAME = "database.sql"
ARCHIVE_MODE = 0o600


def _new_archive(folder: Path, uri: str) -> tuple[Path, int]:
    """A new empty 0600 archive file named after ``uri`` and the time; (path, open fd).

    The journal notes it first, so that an undo (or a recovery) removes it."""
    moment = time.time()
    while True:
        stamp = time.strftime("%Y%m%d.%H%M%S", time.localtime(moment))
        path = folder / f"{uri}-{stamp}.tar.gz"
        if not path.exists():
            note_file(MASTER, path)
        try:
            return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, ARCHIVE_MODE)
        except FileExistsError:
            # Two backups within one second (disable, then delete): the next second's name.
            moment += 1


@contextmanager
def private_folder(beside: Path) -> Iterator[Path]:
    """The command journal's private folder, else a 0700 temporary one in ``beside``."""
    journal = current()
    if journal is not None:
        yield journal.scratch()
        return
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix=".backup-", dir=beside))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def backup_site(site: SiteContext, logger: Logger) -> dict[str, Any]:
    """Dump the database, archive the site folder; returns backup_file and backup_file_size."""
    site_path = site.site_path
    pull_site(site, logger)
    if not site_path.is_dir():
        raise FileNotFoundError(site_path)
    db = db_service(site)
    database = str(site.raw("db_name") or "")
    backups = site.contexts.root / "backups"
    MASTER.makedirs(backups, ROOT_FOLDERS["backups"])
    with private_folder(backups) as scratch:
        dump = scratch / DUMP_NAME
        size = dump_database(MASTER, db.credentials(), database, dump)
        logger.info(f"Dumped the database {database} ({size} bytes).")
        settings_name, settings_text = call_driver(
            site.driver, "uncloaked_settings", site, site_credentials(site))
        archive, fd = _new_archive(backups, site.uri)
        try:
            with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
                for entry in sorted(site_path.iterdir()):
                    # The cloaked settings file is replaced by its uncloaked content below.
                    tar.add(entry, arcname=entry.name, filter=lambda info: (
                        None if info.name == settings_name else info))
                tar.add(dump, arcname=DUMP_NAME)
                data = settings_text.encode("utf-8")
                info = tarfile.TarInfo(settings_name)
                info.size, info.mode, info.mtime = len(data), 0o440, int(time.time())
                tar.addfile(info, io.BytesIO(data))
        except BaseException:
            archive.unlink(missing_ok=True)
            raise
        finally:
            dump.unlink(missing_ok=True)
    archive_size = archive.stat().st_size
    logger.success(f"Backed up {site.uri} to {archive} ({archive_size} bytes).")
    return {"backup_file": str(archive), "backup_file_size": archive_size}
