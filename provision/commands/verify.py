"""``provision @name verify``: check a server, platform or site and (re)write its configuration."""

from __future__ import annotations

import os
from typing import Any

from ..contexts import PlatformContext, ServerContext
from ..contexts.schema import service_kinds
from ..errors import ApplicationError, ProvisionError
from ..layout import AegirRoot
from ..log import Logger
from ..sites.stepping import Steps
from ..spoke import master_files, push_platform
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Verify the context, whatever its type."""
    context = invocation.context
    assert context is not None  # CONTEXT = "required": the runner loaded it
    logger = invocation.logger
    if isinstance(context, ServerContext):
        return verify_server(context, logger)
    if isinstance(context, PlatformContext):
        return verify_platform(context, logger)
    from ..sites.verify import verify_site

    return verify_site(invocation)


def verify_server(server: ServerContext, logger: Logger) -> dict[str, Any]:
    """Create the aegir root's folders, then verify each service of the server."""
    if server.transport.remote:
        logger.info(f"Verifying {server.name} on {server.transport.where}.")
    steps = Steps("verify", logger)
    with steps.step("folders", server):
        AegirRoot(server.contexts.root).ensure(server.transport, logger)
    services = {}
    for kind in service_kinds():
        with steps.step(f"{kind} service", server):
            services[kind] = server.service(kind).verify_server(logger)
    logger.success(f"Verified the server {server.name}.")
    return {"services": services}


def verify_platform(platform: PlatformContext, logger: Logger) -> dict[str, Any]:
    """Read the codebase (application, version, packages, sites), then configure the web server."""
    from .. import apps
    from ..plugins import app_drivers

    root = platform.root
    if not root.is_dir():
        raise ProvisionError(f"The platform root {root} does not exist.")
    steps = Steps("verify", logger)
    with steps.step("codebase", platform):
        driver = apps.detect(root, app_drivers())
        if driver is None:
            raise ApplicationError(
                f"No Drupal or WordPress codebase was found in {root}; put one there (or "
                f"correct the root of {platform.name}), then verify again."
            )
    platform.application = driver
    logger.ok(f"Found {driver.kind} {driver.version} in {root}.")
    with steps.step("settings", platform):
        sites_dir = driver.sites_dir
        if not sites_dir.exists():
            # WordPress has no sites folder of its own: provision keeps its per-site files there.
            master_files().makedirs(sites_dir, 0o755)
            logger.info(f"Created {sites_dir}")
        if not sites_dir.is_dir() or not os.access(sites_dir, os.W_OK | os.X_OK):
            raise ProvisionError(
                f"The sites folder {sites_dir} is not a folder writable by the user running "
                "provision; give that user write permission, then verify again."
            )
        # Files the platform's sites share (WordPress's wp-config.php that picks the site by
        # host).
        driver.write_platform_settings(platform, master_files(), logger)
    with steps.step("copy", platform):
        push_platform(platform, logger)
    with steps.step("web server", platform):
        platform.web_server.service("http").verify_platform(platform, logger)
    result = driver.describe()
    logger.success(
        f"Verified the platform {platform.name}: {len(result['packages'])} packages, "
        f"{len(result['sites'])} sites."
    )
    return result
