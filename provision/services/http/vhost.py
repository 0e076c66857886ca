"""Sites' virtual hosts: ``vhost.d/<uri>`` rendered, written 0600, tested and reloaded.

A vhost carries the site's database credentials (``SetEnv db_*`` for Apache, ``fastcgi_param
db_*`` for nginx), so that the settings file needs no password; that is why the file is 0600.
A disabled site's vhost sends every request but certificate challenges to the front end's
"site disabled" page.
"""

from __future__ import annotations

import difflib
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...checkpoint import Checkpoint
from ...errors import ContextError

if TYPE_CHECKING:
    from ...contexts.model import Context, ServerContext, SiteContext
    from ...locks import ConfigLock
    from ...log import Logger
    from ...transport import Transport
    from ..db.credentials import SiteCredentials

VHOST_MODE = 0o600
#: Names of the variables plugins may hand PHP through a vhost.
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
#: Files under ``sites/<uri>/`` that a driver keeps away from browsers, by application.
DENIED_FILES = {"wordpress": ["wp-site.php"]}


def unified_diff(path: Path, old: str, new: str) -> str:
    """The unified diff that turns ``old`` into ``new`` (both the content of ``path``)."""
    return "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"{path} (now)", tofile=f"{path} (would be)"))


class SiteVhosts:
    """The site operations of the apache and nginx services (mixed into HttpService)."""

    if TYPE_CHECKING:
        # Provided by HttpService and Service, which this class is mixed into.
        server: ServerContext

        @property
        def transport(self) -> Transport: ...
        def folder(self, name: str) -> Path: ...
        def render(self, template: str, **variables: Any) -> str: ...
        def extra_config(self, context: Context, config: str) -> list[str]: ...
        def config_lock(self) -> ConfigLock: ...
        def ensure_folders(self, logger: Logger) -> None: ...
        def apply(self, checkpoint: Checkpoint, lock: ConfigLock, logger: Logger) -> bool: ...

    def vhost_file(self, site: SiteContext) -> Path:
        """``vhost.d/<uri>``."""
        return self.folder("vhost.d") / site.uri

    def disabled_url(self, site: SiteContext) -> str:
        """The front end's "site disabled" page for ``site``; "" when no server names the
        front end (``master_url``): the disabled vhost then answers 503 itself."""
        master_url = self.server.raw("master_url")
        if not master_url and self.server.contexts.exists("@server_master"):
            master_url = self.server.contexts.load("@server_master").raw("master_url")
        if not master_url:
            return ""
        return f"{str(master_url).rstrip('/')}/hosting/disabled/{site.uri}"

    def render_vhost(
        self, site: SiteContext, credentials: SiteCredentials, *, enabled: bool
    ) -> str:
        """The vhost of ``site``, enabled (serving it) or disabled (redirecting)."""
        platform = site.platform
        driver = site.driver
        return self.render(
            f"{self.server.service_type('http')}/vhost.conf.j2",
            uri=site.uri,
            aliases=[alias for alias in site.raw("aliases") or [] if alias != site.uri],
            redirection=bool(site.raw("redirection")),
            enabled=enabled,
            port=self.server.raw("http_port"),
            docroot=platform.docroot,
            sites_dir=driver.sites_dir,
            denied_files=DENIED_FILES.get(driver.kind, []),
            variables={**self.plugin_variables(site), **credentials.server_variables()},
            disabled_url="" if enabled else self.disabled_url(site),
            php_fpm_socket=self.server.raw("php_fpm_socket") or "",
            extra=self.extra_config(site, "vhost"),
        )

    def plugin_variables(self, site: SiteContext) -> dict[str, str]:
        """What plugins hand the site's PHP through its vhost (``provision_site_variables``)."""
        from ...plugins import plugin_manager

        found: dict[str, str] = {}
        for result in reversed(plugin_manager().hook.provision_site_variables(context=site)):
            for name, value in (result or {}).items():
                if not VARIABLE_NAME.fullmatch(name) or name.startswith("db_"):
                    raise ContextError(
                        f"A plugin gives the vhost of {site.uri} a variable called {name!r}; "
                        "names are letters, digits and _, and db_* names are the site's own."
                    )
                found[name] = str(value)
        return found

    def vhost_diff(self, site: SiteContext, credentials: SiteCredentials, *, enabled: bool) -> str:
        """The diff writing the vhost would make ("" when it is up to date); changes nothing."""
        path = self.vhost_file(site)
        try:
            old = self.transport.read_file(path).decode("utf-8", errors="replace")
        except FileNotFoundError:
            old = ""
        return unified_diff(path, old, self.render_vhost(site, credentials, enabled=enabled))

    def vhost_variables(self, site: SiteContext) -> dict[str, str]:
        """The ``db_*`` values the site's current vhost gives PHP ({} without a vhost)."""
        try:
            text = self.transport.read_file(self.vhost_file(site)).decode("utf-8", "replace")
        except FileNotFoundError:
            return {}
        found: dict[str, str] = {}
        for line in text.splitlines():
            try:
                words = shlex.split(line.strip().rstrip(";"))
            except ValueError:
                continue
            if len(words) == 3 and words[0] in ("SetEnv", "fastcgi_param") and (
                words[1].startswith("db_")
            ):
                found.setdefault(words[1], words[2])
        return found

    def write_vhost(
        self, site: SiteContext, credentials: SiteCredentials, logger: Logger, *, enabled: bool
    ) -> bool:
        """Write the site's vhost (0600), test the configuration and reload.

        A failed test puts the previous vhost back (or removes the new one) and raises a
        ServiceError; the other sites keep being served. True once reloaded.
        """
        self.ensure_folders(logger)
        text = self.render_vhost(site, credentials, enabled=enabled)
        path = self.vhost_file(site)
        with self.config_lock() as lock:
            checkpoint = Checkpoint(self.transport)
            if checkpoint.write(path, text, VHOST_MODE):
                logger.info(f"Wrote {path}")
            return self.apply(checkpoint, lock, logger)
