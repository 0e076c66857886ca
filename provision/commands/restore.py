"""``provision @site restore --backup_file=PATH``: the site put back as a backup holds it.

Maintenance, a backup of the present state first, then the chosen archive deployed into a new
database with a new user; after a verify (the commit point) the previous database and folder
go. When a step fails, or provision is killed before the commit point, the journal undoes
everything and the site is served as before, from its previous database.
"""

from __future__ import annotations

from typing import Any

from ..errors import ProvisionError
from ..sites.backup import backup_site
from ..sites.deploy import deploy_archive
from ..sites.moves import backup_in_root, old_uri_of, serve, take_offline
from ..sites.stepping import Steps
from ..sites.steps import site_of
from ..sites.verify import verify_site
from . import Invocation, finish

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
    steps = Steps("restore", logger)
    with steps.step("maintenance", source):
        credentials = take_offline(source, logger)
    with steps.step("backup", source):
        backup = backup_site(source, logger)
    deployed = deploy_archive(invocation, archive, old_uri_of(archive, source.uri), steps)
    site = deployed.site
    with steps.step("vhost", site):
        serve(site, logger)
    with steps.step("verify", site):
        verified = verify_site(invocation)
    assert invocation.journal is not None
    server = source.db_server.name
    invocation.journal.after_commit({"type": "drop_database", "server": server,
                                     "name": credentials.name})
    invocation.journal.after_commit({"type": "drop_user", "server": server,
                                     "user": credentials.user})
    result = {**backup, **verified, "restored_from": str(archive), "updates": deployed.updates}
    with steps.step("cleanup", site):
        finish(invocation, result)
    logger.success(f"Restored {site.uri} from {archive.name}.")
    return result
