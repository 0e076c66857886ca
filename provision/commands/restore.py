"""``provision @site restore --backup_file=PATH``: the site put back as a backup holds it.

Maintenance, a backup of the present state first, then the chosen archive deployed into a new
database with a new user; after a verify the previous database and folder go. When a step
fails, everything is undone and the site is served as before, from its previous database.
"""

from __future__ import annotations

from typing import Any

from ..errors import ProvisionError
from ..sites.deploy import deploy_archive, finish_deploy
from ..sites.moves import (
    back_up,
    backup_in_root,
    old_uri_of,
    restore_properties,
    serve,
    stored_properties,
    take_offline,
)
from ..sites.stepping import Steps
from ..sites.steps import db_service, site_of
from ..sites.verify import verify_site
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Restore the backup; the result names the backup made first, the database, packages."""
    source = site_of(invocation)
    logger = invocation.logger
    contexts = invocation.contexts
    chosen = invocation.options.get("backup_file") or next(iter(invocation.args), None)
    archive = backup_in_root(contexts, chosen)
    if not archive.is_file():
        raise ProvisionError(f"The backup {archive} does not exist any more; choose another "
                             "backup of the site.")
    original = stored_properties(contexts, invocation.name)
    steps = Steps("restore", logger)
    with steps.step("maintenance", source):
        credentials = take_offline(source, steps, logger)
    with steps.step("backup", source):
        backup = back_up(source, steps, logger)
    steps.undo(f"put back the context {invocation.name}", lambda: restore_properties(
        contexts, invocation.name, original))
    deployed = deploy_archive(invocation, archive, old_uri_of(archive, source.uri), steps)
    site = deployed.site
    with steps.step("vhost", site):
        serve(site, source, steps, logger)
    with steps.step("verify", site):
        verified = verify_site(invocation)
    with steps.step("cleanup", site):
        steps.forget_undos()
    db = db_service(source)
    for drop in (lambda: db.drop_site_database(credentials.name, logger),
                 lambda: db.drop_site_user(credentials.user, logger)):
        try:
            drop()
        except Exception as error:  # restored already; a leftover is the admin's to remove
            logger.warning(f"Could not remove the previous database of {site.uri}: {error}")
    finish_deploy(site, logger)
    logger.success(f"Restored {site.uri} from {archive.name}.")
    return {**backup, **verified, "restored_from": str(archive), "updates": deployed.updates}
