"""``provision @site clone --new_uri=x [--target_platform=@p] [--target_db_server=@s]``.

A copy of the site under a new domain, on the same or another platform: a backup of the
original, a new context (no aliases, no redirection), deploy, vhost, verify. The original is
untouched; when a step fails, or provision is killed on the way, the journal removes everything
made for the copy again (and the backup taken for it).
"""

from __future__ import annotations

from typing import Any

from ..errors import ProvisionError
from ..sites.backup import backup_site
from ..sites.deploy import deploy_archive
from ..sites.moves import (
    DATABASE_PROPERTIES,
    serve,
    stored_properties,
    target_db_server,
    target_platform,
)
from ..sites.stepping import Steps
from ..sites.steps import site_of
from ..sites.verify import verify_site
from . import Invocation

CONTEXT = "required"
#: What the copy does not inherit: its database, aliases, cron key and state are its own.
NOT_COPIED = (*DATABASE_PROPERTIES, "aliases", "redirect_aliases", "redirection", "cron_key",
              "site_enabled")


def run(invocation: Invocation) -> dict[str, Any]:
    """Clone the site; the result names the original's backup and the copy's database."""
    source = site_of(invocation)
    logger = invocation.logger
    contexts = invocation.contexts
    options = invocation.options
    new_uri = str(options.get("new_uri") or "").strip().lower()
    if not new_uri or new_uri == source.uri:
        raise ProvisionError(f"Give the clone of {source.uri} a new domain (--new_uri).")
    target_name = f"@{new_uri}"
    if contexts.exists(target_name):
        raise ProvisionError(
            f"The context {target_name} exists already: another site uses {new_uri}. Choose "
            "another domain."
        )
    platform = target_platform(contexts, options.get("target_platform")
                               or source.raw("platform"))
    db_server = target_db_server(contexts, options.get("target_db_server")
                                 or source.raw("db_server"))
    original = stored_properties(contexts, invocation.name)
    steps = Steps("clone", logger)
    with steps.step("backup", source):
        backup = backup_site(source, logger)
    with steps.step("target", source):
        properties = {key: value for key, value in original.items() if key not in NOT_COPIED}
        properties.update(uri=new_uri, platform=platform, db_server=db_server,
                          site_enabled=True, aliases=[], redirect_aliases=[],
                          redirection=False)
        contexts.save(target_name, {"context_type": "site", **properties})
    target = Invocation("clone", target_name, contexts, logger, options=options,
                        context=contexts.load(target_name))
    deployed = deploy_archive(target, backup["backup_file"], source.uri, steps)
    site = deployed.site
    with steps.step("vhost", site):
        serve(site, logger)
    with steps.step("verify", site):
        verified = verify_site(target)
    logger.success(f"Cloned {source.uri} as {new_uri} on {platform}.")
    return {**backup, "clone": {**verified, "uri": new_uri, "platform": platform,
                                "db_server": db_server, "profile": site.raw("profile"),
                                "language": site.raw("language")}}
