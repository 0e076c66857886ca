"""The control panel published on a web server: ``https://<panel_hostname>/`` passed to the
panel's own server (gunicorn, ``panel_upstream`` on this machine's loopback), with a certificate
of its own in ``tls/.panel/`` (a name no site's domain can have), self-signed until the ACME CA
of ``@server_master`` gives one. HTTP answers with a 301 to HTTPS, except certificate challenges.

The vhost is ``config/<server>/<type>/panel.conf``, which the server's configuration always
includes: written by every verify of the server, with a comment only when the server does not
publish the panel (its ``panel_hostname`` unset).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...checkpoint import Checkpoint
from ...errors import ProvisionError
from ...tls.site_tls import CertificateFiles, certificate_due, challenge_folder, order_from_ca
from .vhost import TLS_CIPHERS

if TYPE_CHECKING:
    from ...log import Logger
    from .base import HttpService

#: The folder of the panel's certificate under ``tls/``: a dot starts no domain.
PANEL_TLS_FOLDER = ".panel"
#: A certificate from the CA is renewed by the server's verify this many days before it expires.
RENEW_DAYS = 30.0


class PanelVhost:
    """The panel's vhost and certificate on the web server ``http``."""

    def __init__(self, http: HttpService) -> None:
        self.http = http
        self.hostname = str(http.server.raw("panel_hostname") or "")
        self.upstream = str(http.server.raw("panel_upstream") or "127.0.0.1:5000")
        self.tls = CertificateFiles(http, PANEL_TLS_FOLDER, [self.hostname])

    @property
    def file(self) -> Path:
        """``config/<server>/<type>/panel.conf``."""
        return self.http.config_dir / self.http.type / "panel.conf"

    def render(self) -> str:
        https_port = int(self.http.setting("https_port"))
        return self.http.render(
            f"{self.http.type}/panel.conf.j2",
            hostname=self.hostname,
            upstream=self.upstream,
            port=int(self.http.setting("http_port")),
            https_port=https_port,
            https_authority="" if https_port == 443 else f":{https_port}",
            challenge_folder=str(challenge_folder(self.http)),
            tls=self.tls.paths(),
            tls_ciphers=TLS_CIPHERS,
            hsts=False,
        )

    def write(self, checkpoint: Checkpoint, logger: Logger) -> None:
        """Write the vhost (and, when published, a self-signed certificate if none covers the
        hostname; when not published, without its certificate and key) through ``checkpoint``;
        the caller applies it."""
        if self.hostname:
            self.tls.ensure(checkpoint, logger)
        else:
            for path in (self.tls.key_file, self.tls.certificate_file):
                if self.http.transport.exists(path):
                    checkpoint.remove(path)
                    logger.info(f"Removed {path}: the panel is not published here.")
        if checkpoint.write(self.file, self.render(), 0o644):
            logger.info(f"Wrote {self.file}")

    def certificate(self, logger: Logger) -> dict[str, Any] | None:
        """After the vhost is served: a certificate from the CA when one is set and the panel's
        is self-signed or expires within RENEW_DAYS. A CA that refuses is a warning (the panel
        keeps the certificate it has). The facts of the certificate served; None when the panel
        is not published here."""
        if not self.hostname:
            return None
        serving = self.tls.serving()
        master = self.http.server.contexts.load("@server_master")
        if master.raw("acme_directory_url") and certificate_due(serving, RENEW_DAYS, False):
            try:
                return order_from_ca(master, self.tls, logger).as_result()
            except ProvisionError as refusal:
                logger.warning(f"{refusal} The panel keeps its current certificate.")
        serving = self.tls.serving()
        return serving.facts.as_result() if serving is not None else None
