"""The spoke model: platforms and sites live on the master and are copied to remote web servers.

provision works on the master's copy of every platform and site (it scans codebases, writes
settings files and runs the PHP helpers there), then pushes the result to the web server that
serves it, at the same path. A site's content folders (uploads) are written by the site on its
web server: an ordinary push leaves them alone, and a backup pulls the whole site folder back to
the master first. For a platform or site served by the master itself every function here does
nothing: the master's copy is the one served.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .transport import LocalTransport

if TYPE_CHECKING:
    from .apps.base import AppDriver
    from .contexts.model import PlatformContext, ServerContext, SiteContext
    from .log import Logger
    from .transport import Transport

#: The master's own files: every platform and site has its master copy here.
MASTER = LocalTransport()

#: Folders of a site folder that its web server writes (uploads, private files): pushes that
#: only bring settings up to date leave them as the web server has them.
CONTENT_FOLDERS = ("files", "private", "uploads")


def master_files() -> Transport:
    """The transport for the master's copies of platforms and sites."""
    return MASTER


def push_platform(
    platform: PlatformContext, logger: Logger, *, application: AppDriver | None = None
) -> None:
    """Copy the platform's codebase to its web server, leaving its sites' folders alone."""
    transport = platform.web_server.transport
    if not transport.remote:
        return
    application = application or platform.application
    exclude = []
    if application is not None and application.sites_dir.is_relative_to(platform.root):
        relative = application.sites_dir.relative_to(platform.root).as_posix()
        exclude = [f"/{relative}/{uri}/" for uri in application.sites()]
    transport.push_folder(platform.root, exclude=exclude)
    logger.info(f"Copied the platform {platform.root} to {transport.where}.")


def push_site(site: SiteContext, logger: Logger, *, content: bool = False) -> None:
    """Copy the site folder to its web server, with the platform's shared files (the alias
    map, WordPress's host switch); with ``content`` the site's uploads too (a new or redeployed
    site), else they stay as the web server has them."""
    transport = site.web_server.transport
    if not transport.remote:
        return
    push_platform(site.platform, logger, application=site.driver)
    exclude = [] if content else [f"/{name}/" for name in CONTENT_FOLDERS]
    transport.push_folder(site.site_path, exclude=exclude)
    logger.info(f"Copied {site.site_path} to {transport.where}.")


def pull_site(site: SiteContext, logger: Logger) -> None:
    """Bring the master's copy of the site folder up to date from its web server."""
    transport = site.web_server.transport
    if not transport.remote or not transport.exists(site.site_path):
        return
    transport.pull_folder(site.site_path)
    logger.info(f"Copied {site.site_path} from {transport.where} to the master.")


def server_address(server: ServerContext) -> str:
    """Where the master reaches ``server``: its first IP address, else its ``remote_host``."""
    addresses = server.raw("ip_addresses") or []
    return str(addresses[0] if addresses else server.raw("remote_host") or "localhost")
