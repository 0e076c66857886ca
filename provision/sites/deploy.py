"""Deploy: a backup archive made into a working site (used by restore, migrate and clone).

The archive is unpacked next to the site's folder (its dump into the journal's private folder,
its uncloaked settings nowhere) and moved into place (a folder already there is kept aside
until the command's commit point, then removed); then a new database and user, the settings,
the dump, a check that the site's schema is not newer than the platform's, the application's
database updates, the old domain rewritten as the new one (URLs, ``sites/<old uri>`` paths),
caches cleared. Each is a named step (see provision.sites.stepping) and every change is in the
journal, so a failure, or a kill found later, leaves nothing behind: the domain rewrite needs
no undo of its own, as it changes only the database made by the step ``database``, which the
journal drops.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ApplicationError, ProvisionError
from ..journal import current
from ..services.db.dump import load_dump
from ..spoke import MASTER, push_site
from .backup import DUMP_NAME
from .driver import call_driver
from .folders import ensure_site_folders
from .steps import db_service, save_site, site_credentials, site_of

if TYPE_CHECKING:
    from ..commands import Invocation
    from ..contexts.model import SiteContext
    from .stepping import Steps

#: Settings files an archive holds uncloaked; they are removed at once after unpacking.
UNCLOAKED_NAMES = ("settings.php", "wp-site.php")


@dataclass
class Deployed:
    """What a deploy produced: the site's new context and the database updates it ran."""

    site: SiteContext
    updates: list[str]


def deploy_archive(
    invocation: Invocation, archive: Path, old_uri: str, steps: Steps
) -> Deployed:
    """Deploy ``archive`` as the invocation's site (its context names the target platform,
    database server and uri); ``old_uri`` is the uri the archive was made from."""
    site = site_of(invocation)
    logger = invocation.logger
    archive = Path(archive)
    if not archive.is_file():
        raise ProvisionError(
            f"The backup {archive} does not exist; choose another backup, or make a new one."
        )
    with steps.step("unpack", site):
        dump = _unpack(site, archive, logger)
    with steps.step("database", site):
        db = db_service(site)
        created = db.create_site_database(site.uri, site.web_server, logger)
        site = save_site(invocation, db_name=created.name, db_user=created.user,
                         db_passwd=created.password)
    with steps.step("settings", site):
        transport = MASTER
        call_driver(site.driver, "write_platform_settings", site.platform, transport, logger)
        ensure_site_folders(site, logger)
        call_driver(site.driver, "write_settings", site, transport, logger)
    credentials = site_credentials(site)
    with steps.step("import", site):
        load_dump(MASTER, db.credentials(), created.name, dump)
        dump.unlink()
        logger.info(f"Imported the database of {old_uri} into {created.name}.")
    with steps.step("schema", site):
        check_schema(site, credentials, logger)
    with steps.step("updates", site):
        updates = list(call_driver(site.driver, "update_database", site, credentials, logger)
                       or [])
        logger.info(f"Ran {len(updates)} database updates" + (
            f": {', '.join(updates)}." if updates else "."))
    with steps.step("domain", site):
        if old_uri != site.uri:
            report = call_driver(site.driver, "rewrite_site_uri", site, credentials, old_uri,
                                 logger)
            logger.info(report.summary())
            if report.problems():
                logger.warning(report.problems())
    with steps.step("caches", site):
        call_driver(site.driver, "clear_caches", site, credentials, logger)
    with steps.step("copy", site):
        push_site(site, logger, content=True)
    return Deployed(site, updates)


def _unpack(site: SiteContext, archive: Path, logger: Any) -> Path:
    """Unpack into ``<site folder>.deploy`` and move it into place, keeping an existing folder
    as ``<site folder>.previous`` until the commit point; returns where the dump went."""
    journal = current()
    if journal is None:
        raise ProvisionError("A deploy runs only inside a command's journal.")
    target = site.site_path
    staging = target.with_name(target.name + ".deploy")
    previous = target.with_name(target.name + ".previous")
    for leftover in (staging, previous):
        if leftover.exists():
            raise ProvisionError(
                f"{leftover} is left from an earlier run; move it away (it may hold a site's "
                "files), then run the task again."
            )
    dump = journal.scratch() / f"deploy-{DUMP_NAME}"
    MASTER.makedirs(staging, 0o755)
    with tarfile.open(archive, "r:gz") as tar:
        members = []
        for member in tar.getmembers():
            if member.name.lstrip("./") in UNCLOAKED_NAMES:
                continue  # the old database's literal credentials never reach the disk
            if member.name.lstrip("./") == DUMP_NAME and member.isfile():
                _extract_to(tar, member, dump)
                continue
            members.append(member)
        _extract_inside(tar, members, staging)
    if not dump.is_file():
        raise ProvisionError(f"The backup {archive} holds no {DUMP_NAME}.")
    logger.info(f"Unpacked {archive.name} for {site.uri}.")
    if target.exists():
        MASTER.rename(target, previous)
        journal.after_commit({"type": "remove_tree", "server": None, "path": str(previous)})
    MASTER.rename(staging, target)
    return dump


def _extract_inside(tar: tarfile.TarFile, members: list[tarfile.TarInfo], folder: Path) -> None:
    """Extract ``members`` into ``folder``, refusing first (ProvisionError, nothing written)
    absolute names, names and links that lead out of the folder, and device files. Python
    from 3.11.4 also has the "tar" extraction filter, which is applied on top; Debian 12's
    3.11.2 has none."""
    for member in members:
        link = os.path.join(os.path.dirname(member.name), member.linkname)
        leaves = (os.path.isabs(member.name) or not _inside(folder, member.name)
                  or (member.issym() and (os.path.isabs(member.linkname)
                                          or not _inside(folder, link)))
                  or (member.islnk() and not _inside(folder, member.linkname)))
        if leaves:
            raise ProvisionError(f"The backup holds {member.name!r}, which leads out of the site's "
                                 "folder; it is refused and nothing was unpacked.")
        if member.isdev():
            raise ProvisionError(f"The backup holds the device file {member.name!r}; it is "
                                 "refused and nothing was unpacked.")
    if hasattr(tarfile, "tar_filter"):
        tar.extractall(folder, members=members, filter="tar")
    else:
        tar.extractall(folder, members=members)


def _inside(folder: Path, relative: str) -> bool:
    """True when ``relative``, joined to ``folder`` and normalised, stays in ``folder``."""
    joined = os.path.normpath(os.path.join(folder, relative))
    base = os.path.normpath(folder)
    return joined == base or joined.startswith(base + os.sep)


def _extract_to(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> None:
    """Write one archive member to ``path`` (0600)."""
    source = tar.extractfile(member)
    if source is None:
        raise ProvisionError(f"{member.name} in the backup is not a file.")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle, source:
        shutil.copyfileobj(source, handle)


def check_schema(site: SiteContext, credentials: Any, logger: Any) -> None:
    """Refuse a site whose packages' schema versions are newer than the platform's: its
    database comes from newer code, and running it on older code would break it."""
    platform_schema = {(p["kind"], p["short_name"]): int(p.get("schema_version") or 0)
                       for p in site.driver.packages()}
    packages = call_driver(site.driver, "site_packages", site, credentials, logger) or []
    newer = []
    for package in packages:
        key = (package["kind"], package["short_name"])
        schema = int(package.get("schema_version") or 0)
        if package.get("enabled") and schema > platform_schema.get(key, schema):
            newer.append(f"{package['short_name']} ({schema} > {platform_schema[key]})")
    if newer:
        raise ApplicationError(
            f"The database of {site.uri} was updated by newer code than {site.platform.name} "
            f"holds: {', '.join(newer)}. Choose a platform with these packages at the same or a "
            "newer version."
        )
    logger.ok(f"No package of {site.uri} has a schema newer than {site.platform.name}'s.")
