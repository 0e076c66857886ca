"""``provision @site migrate --target_platform=@p [--target_db_server=@s] [--new_uri=x]
[--keep_old_uri] [--aliases=a,b] [--redirect_aliases=c]``.

Moves a site to another platform, another database server and/or a new domain in one run:
maintenance, backup, the target context, deploy (new database, settings, dump, schema check,
updates, domain, caches), vhost, verify; only then the old folder, vhost, database and user
go, as the cleanup after the commit point. When any step fails, or provision is killed
before the commit point, the journal undoes every step done: the site is served from where it
was, with its database, vhost and settings, and the log names the step that failed.

A renamed site takes the aliases given (else its own, never the new domain) and, with
keep_old_uri, its old domain as an alias that redirects to the new one.
"""

from __future__ import annotations

from typing import Any

from ..contexts.model import SiteContext
from ..errors import ProvisionError
from ..sites.backup import backup_site
from ..sites.deploy import deploy_archive
from ..sites.moves import (
    DATABASE_PROPERTIES,
    declare_source_cleanup,
    renamed_aliases,
    serve,
    stored_properties,
    take_offline,
    target_db_server,
    target_platform,
)
from ..sites.stepping import Steps
from ..sites.steps import site_of
from ..sites.verify import verify_site
from . import Invocation, finish

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Migrate the site; the result names the backup, the new uri, database and packages."""
    source = site_of(invocation)
    logger = invocation.logger
    contexts = invocation.contexts
    options = invocation.options
    platform = target_platform(contexts, options.get("target_platform")
                               or source.raw("platform"))
    db_server = target_db_server(contexts, options.get("target_db_server")
                                 or source.raw("db_server"))
    new_uri = str(options.get("new_uri") or source.uri).strip().lower()
    renamed = new_uri != source.uri
    if not renamed and platform == source.raw("platform") and db_server == source.raw(
            "db_server"):
        raise ProvisionError(
            f"{source.uri} already runs on {platform} with its database on {db_server}; choose "
            "another platform, database server or domain."
        )
    target_name = f"@{new_uri}"
    if renamed and contexts.exists(target_name):
        raise ProvisionError(
            f"The context {target_name} exists already: another site uses {new_uri}. Choose "
            "another domain."
        )
    original = stored_properties(contexts, invocation.name)
    steps = Steps("migrate", logger)
    logger.info(f"Migrating {source.uri} to {new_uri} on {platform} (database on {db_server}).")
    with steps.step("maintenance", source):
        credentials = take_offline(source, logger)
    with steps.step("backup", source):
        backup = backup_site(source, logger)
    with steps.step("target", source):
        properties = {key: value for key, value in original.items()
                      if key not in DATABASE_PROPERTIES}
        properties.update(uri=new_uri, platform=platform, db_server=db_server,
                          site_enabled=True)
        if renamed:
            properties.update(renamed_aliases(original, source.uri, new_uri, options))
            contexts.save(target_name, {"context_type": "site", **properties})
        else:
            contexts.save(target_name, {**properties, **{key: "null"
                                                          for key in DATABASE_PROPERTIES}})
    target = Invocation("migrate", target_name, contexts, logger, options=options,
                        context=contexts.load(target_name))
    deployed = deploy_archive(target, backup["backup_file"], source.uri, steps)
    site = deployed.site
    with steps.step("vhost", site):
        serve(site, logger)
    with steps.step("verify", site):
        verified = verify_site(target)
    assert invocation.journal is not None
    declare_source_cleanup(invocation.journal, source, site, credentials)
    if renamed:
        invocation.journal.after_commit({"type": "delete_context", "name": invocation.name})
    invocation.context = target.context
    assert isinstance(target.context, SiteContext)
    result = {**backup, **verified, "uri": new_uri, "updates": deployed.updates,
              "profile": target.context.raw("profile"),
              "aliases": target.context.served_aliases,
              "redirect_aliases": target.context.redirected_aliases}
    with steps.step("cleanup", source):
        finish(invocation, result)
    logger.success(f"Migrated {source.uri} to {new_uri} on {platform}.")
    return result
