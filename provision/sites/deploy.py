"""Deploy: a backup archive made into a working site (used by restore, migrate and clone).

The archive is unpacked next to the site's folder and moved into place (a folder already there
is kept aside until the command succeeds); then a new database and user, the settings, the
dump, a check that the site's schema is not newer than the platform's, the application's
database updates, ``sites/<old uri>`` paths rewritten, caches cleared. Each is a named step
(see provision.sites.stepping) whose undo is remembered, so a failure leaves nothing behind.
"""

from __future__ import annotations

import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ApplicationError, ProvisionError
from ..services.db.dump import load_dump
from ..spoke import MASTER, push_site, remove_site_copy
from .backup import DUMP_NAME
from .driver import call_driver
from .folders import ensure_site_folders, make_writable
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
        _unpack(site, archive, steps, logger)
    with steps.step("database", site):
        db = db_service(site)
        created = db.create_site_database(site.uri, site.web_server, logger)
        steps.undo(f"drop the database {created.name} and its user", lambda: (
            db.drop_site_database(created.name, logger, quiet=True),
            db.drop_site_user(created.user, logger, quiet=True)))
        site = save_site(invocation, db_name=created.name, db_user=created.user,
                         db_passwd=created.password)
    with steps.step("settings", site):
        transport = MASTER
        call_driver(site.driver, "write_platform_settings", site.platform, transport, logger)
        ensure_site_folders(site, logger)
        if not site.site_path.with_name(site.site_path.name + ".previous").exists():
            # A new folder: its entries in the platform's alias map go with it on failure.
            written = site
            steps.undo(f"forget {site.uri} in the platform's alias map", lambda: call_driver(
                written.driver, "forget_site", written, transport, logger))
        call_driver(site.driver, "write_settings", site, transport, logger)
    credentials = site_credentials(site)
    with steps.step("import", site):
        dump = site.site_path / DUMP_NAME
        if not dump.is_file():
            raise ProvisionError(f"The backup {archive} holds no {DUMP_NAME}.")
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
    with steps.step("paths", site):
        if old_uri != site.uri:
            count = call_driver(site.driver, "rewrite_site_paths", site, credentials, old_uri,
                                logger)
            logger.info(f"Rewrote sites/{old_uri} as sites/{site.uri} in {count} values.")
    with steps.step("caches", site):
        call_driver(site.driver, "clear_caches", site, credentials, logger)
    with steps.step("copy", site):
        push_site(site, logger, content=True)
    return Deployed(site, updates)


def _unpack(site: SiteContext, archive: Path, steps: Steps, logger: Any) -> None:
    """Unpack into ``<site folder>.deploy``, then move it into place (keeping an existing
    folder as ``<site folder>.previous`` until the command ends)."""
    target = site.site_path
    staging = target.with_name(target.name + ".deploy")
    previous = target.with_name(target.name + ".previous")
    for leftover in (staging, previous):
        if leftover.exists():
            raise ProvisionError(
                f"{leftover} is left from an earlier run; move it away (it may hold a site's "
                "files), then run the task again."
            )
    staging.mkdir(mode=0o755)
    steps.undo(f"remove {staging}", lambda: _remove_tree(staging))
    with tarfile.open(archive, "r:gz") as tar:
        # The "tar" filter refuses absolute paths and links leaving the folder.
        tar.extractall(staging, filter="tar")
    for name in UNCLOAKED_NAMES:
        # The literal credentials of the old database must not stay on disk.
        (staging / name).unlink(missing_ok=True)
    logger.info(f"Unpacked {archive.name} for {site.uri}.")
    # Registered before the master's folder is swapped, so it runs after that is undone.
    if site.web_server.transport.remote:
        had_copy = site.web_server.transport.exists(target)
        steps.undo(f"put {target} back on {site.web_server.transport.where}", lambda: (
            push_site(site, logger, content=True) if had_copy else remove_site_copy(site, logger)))
    if target.exists():
        target.rename(previous)
        steps.undo(f"put {target} back", lambda: _put_back(target, previous))
    staging.rename(target)
    if not previous.exists():
        steps.undo(f"remove {target}", lambda: _remove_tree(target))


def _put_back(target: Path, previous: Path) -> None:
    """Remove the unpacked folder and move the one kept aside back into place."""
    _remove_tree(target)
    previous.rename(target)


def finish_deploy(site: SiteContext, logger: Any) -> None:
    """Remove the folder a deploy kept aside (call once the command can no longer fail)."""
    previous = site.site_path.with_name(site.site_path.name + ".previous")
    if previous.exists():
        _remove_tree(previous)
        logger.info(f"Removed the previous folder {previous}.")


def _remove_tree(path: Path) -> None:
    """Remove ``path`` with everything in it (Drupal leaves folders read-only)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        make_writable(path)
        shutil.rmtree(path)


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
