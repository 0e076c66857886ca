"""Sites' virtual hosts: ``vhost.d/<uri>`` rendered, written, tested and reloaded, with the
site's credentials file beside the configuration.

The database account never travels in the vhost: it would reach PHP as a request variable that
phpinfo() shows and that no PHP call takes out of php-fpm's getenv(). It goes in
``config/<server>/credentials/<name>.json`` (0640, the web server's group, outside every
docroot); the vhost passes PHP only that file's path (``db_credentials``). Both are written
through one checkpoint, so a failed configuration test puts both back.
A disabled site's vhost sends every request but certificate challenges to the front end's
"site disabled" page. A site with HTTPS gets a second virtual host on the server's
``https_port`` with its certificate (``provision.tls.site_tls``); when HTTPS is required, HTTP
answers every request but certificate challenges with a 301 to its https:// address.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...apps.sitefiles import CREDENTIALS_VARIABLE
from ...checkpoint import Checkpoint
from ...errors import ContextError
from ...layout import CREDENTIALS_FOLDER, CREDENTIALS_MODE, AegirRoot
from ...tls.site_tls import SiteTls, challenge_folder, https_mode
from ..db.credentials import SiteCredentials

if TYPE_CHECKING:
    from ...contexts.model import Context, ServerContext, SiteContext
    from ...locks import ConfigLock
    from ...log import Logger
    from ...transport import Transport

VHOST_MODE = 0o600
#: Mozilla's "intermediate" cipher list (TLS 1.2; TLS 1.3 suites are all allowed).
TLS_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
               "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
               "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
               "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305")
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
        @property
        def config_dir(self) -> Path: ...
        def setting(self, name: str) -> Any: ...
        def folder(self, name: str) -> Path: ...
        def render(self, template: str, **variables: Any) -> str: ...
        def extra_config(self, context: Context, config: str) -> list[str]: ...
        def config_lock(self) -> ConfigLock: ...
        def ensure_folders(self, logger: Logger) -> None: ...
        def apply(self, checkpoint: Checkpoint, lock: ConfigLock, logger: Logger) -> bool: ...

    def vhost_file(self, site: SiteContext) -> Path:
        """``vhost.d/<uri>``."""
        return self.folder("vhost.d") / site.uri

    def credentials_file(self, site: SiteContext) -> Path:
        """``config/<server>/credentials/<name>.json``: the account the site's PHP reads,
        under a name no other site can guess (AegirRoot.credentials_name)."""
        name = AegirRoot(self.server.contexts.root).credentials_name(self.server.name, site.uri)
        return self.config_dir / CREDENTIALS_FOLDER / f"{name}.json"

    def disabled_url(self, site: SiteContext) -> str:
        """The front end's "site disabled" page for ``site``; "" when no server names the
        front end (``master_url``): the disabled vhost then answers 503 itself."""
        master_url = self.server.raw("master_url")
        if not master_url and self.server.contexts.exists("@server_master"):
            master_url = self.server.contexts.load("@server_master").raw("master_url")
        if not master_url:
            return ""
        return f"{str(master_url).rstrip('/')}/hosting/disabled/{site.uri}"

    def render_vhost(self, site: SiteContext, *, enabled: bool) -> str:
        """The vhost of ``site``, enabled (serving it) or disabled (redirecting)."""
        platform = site.platform
        driver = site.driver
        https = https_mode(site)
        https_port = int(self.setting("https_port"))
        https_authority = "" if https_port == 443 else f":{https_port}"
        secure = https == "required"
        return self.render(
            f"{self.server.service_type('http')}/vhost.conf.j2",
            uri=site.uri,
            aliases=site.served_aliases,
            redirects=site.redirected_aliases,
            enabled=enabled,
            port=self.server.raw("http_port"),
            docroot=platform.docroot,
            sites_dir=driver.sites_dir,
            denied_files=DENIED_FILES.get(driver.kind, []),
            variables={**self.plugin_variables(site),
                       CREDENTIALS_VARIABLE: str(self.credentials_file(site))},
            disabled_url="" if enabled else self.disabled_url(site),
            php_fpm_socket=self.server.raw("php_fpm_socket") or "",
            extra=self.extra_config(site, "vhost"),
            https=https,
            https_port=https_port,
            https_authority=https_authority,
            hsts=bool(site.raw("hsts")),
            tls=None if https == "off" else SiteTls(self, site).paths(),
            tls_ciphers=TLS_CIPHERS,
            challenge_folder=str(challenge_folder(self)),
            site_url=(f"https://{site.uri}{https_authority}" if secure
                      else f"http://{site.uri}"),
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

    def vhost_diff(self, site: SiteContext, *, enabled: bool) -> str:
        """The diff writing the vhost would make ("" when it is up to date); changes nothing."""
        path = self.vhost_file(site)
        try:
            old = self.transport.read_file(path).decode("utf-8", errors="replace")
        except FileNotFoundError:
            old = ""
        return unified_diff(path, old, self.render_vhost(site, enabled=enabled))

    def credentials_outdated(self, site: SiteContext, credentials: SiteCredentials) -> bool:
        """Whether writing the vhost would rewrite the site's credentials file (or its mode)."""
        path = self.credentials_file(site)
        try:
            current = self.transport.read_file(path).decode("utf-8", errors="replace")
        except FileNotFoundError:
            return True
        return (current != credentials.file_content()
                or self.transport.file_mode(path) != CREDENTIALS_MODE)

    def live_credentials(self, site: SiteContext) -> SiteCredentials | None:
        """The account the site's PHP is given now: its credentials file, else the ``db_*``
        variables of a vhost written before credentials files existed; None without either."""
        try:
            text = self.transport.read_file(self.credentials_file(site))
        except FileNotFoundError:
            return self._vhost_credentials(site)
        return SiteCredentials.from_file(text.decode("utf-8", "replace"))

    def _vhost_credentials(self, site: SiteContext) -> SiteCredentials | None:
        """The ``SetEnv`` / ``fastcgi_param`` ``db_*`` values of an older vhost."""
        try:
            text = self.transport.read_file(self.vhost_file(site)).decode("utf-8", "replace")
        except FileNotFoundError:
            return None
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
        return SiteCredentials.from_file(json.dumps(found))

    def write_vhost(
        self, site: SiteContext, credentials: SiteCredentials, logger: Logger, *, enabled: bool
    ) -> bool:
        """Write the site's credentials file (0640, web group) and its vhost (0600), test the
        configuration and reload.

        A failed test puts the previous files back (or removes the new ones) and raises a
        ServiceError; the other sites keep being served. True once reloaded.
        """
        self.ensure_folders(logger)
        text = self.render_vhost(site, enabled=enabled)
        path = self.vhost_file(site)
        secret = self.credentials_file(site)
        with self.config_lock() as lock:
            checkpoint = Checkpoint(self.transport)
            # The credentials first: a served vhost never names a file not written yet. The
            # setgid folder gives every new file the web group; this repairs one changed by hand.
            if checkpoint.write(secret, credentials.file_content(), CREDENTIALS_MODE):
                logger.info(f"Wrote {secret}")
            self.transport.set_group(secret, str(self.setting("web_group")))
            if https_mode(site) != "off":
                SiteTls(self, site).ensure(checkpoint, logger)
            if checkpoint.write(path, text, VHOST_MODE):
                logger.info(f"Wrote {path}")
            return self.apply(checkpoint, lock, logger)
