"""A site's certificate on its web server: ``config/<server>/tls/<uri>/`` holds ``fullchain.pem``
(0644) and ``privkey.pem`` (0600), read by the web server's master process as it starts.

A site set to HTTPS always has a certificate there: a self-signed one is written with its
vhost when none covers its domains, and a certificate from the ACME CA named by
``@server_master``'s ``acme_directory_url`` replaces it (see :func:`order_for_site`). Files are
written through the vhost's checkpoint (and so through the journal), and a failed
configuration test puts them back with it. (``certificates``, which loads cryptography, is
imported where a certificate is handled: every provision command loads this module with the
web server's service.)
"""

from __future__ import annotations

import http.client as http_client
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..checkpoint import Checkpoint
from ..errors import ProvisionError

if TYPE_CHECKING:
    from ..contexts.model import Context, SiteContext
    from ..journal import Journal
    from ..log import Logger
    from ..services.http.vhost import SiteVhosts
    from . import certificates

KEY_MODE = 0o600
CERTIFICATE_MODE = 0o644
TLS_FOLDER_MODE = 0o700
CHALLENGE_FOLDER_MODE = 0o755


@dataclass(frozen=True)
class SiteCertificate:
    """The PEM text of a site's certificate (leaf first, then its chain) and its key."""

    chain: str
    key: str

    @property
    def facts(self) -> certificates.CertificateFacts:
        from . import certificates
        return certificates.facts(self.chain)


def domains(site: SiteContext) -> list[str]:
    """The names a site's certificate must cover: its uri, then its aliases (those that redirect
    too: they answer HTTPS with their redirect)."""
    return [site.uri, *dict.fromkeys([*site.served_aliases, *site.redirected_aliases])]


def https_mode(site: SiteContext) -> str:
    return str(site.raw("https") or "off")


class CertificateFiles:
    """The certificate and key a web server serves for ``names``, in ``tls/<folder>/`` of its
    configuration: a site's (its uri) or the published panel's (``.panel``)."""

    def __init__(self, http: SiteVhosts, folder: str, names: list[str]) -> None:
        self.http = http
        self.names = names
        self.folder = http.config_dir / "tls" / folder

    @property
    def certificate_file(self) -> Path:
        return self.folder / "fullchain.pem"

    @property
    def key_file(self) -> Path:
        return self.folder / "privkey.pem"

    def current(self) -> SiteCertificate | None:
        """The certificate and key on the web server, None when either is missing."""
        transport = self.http.transport
        try:
            chain = transport.read_file(self.certificate_file).decode()
            key = transport.read_file(self.key_file).decode()
        except FileNotFoundError:
            return None
        return SiteCertificate(chain, key)

    def serving(self) -> SiteCertificate | None:
        """The current certificate if it covers ``names`` and its key matches."""
        from . import certificates
        current = self.current()
        if current is None:
            return None
        problems = certificates.upload_problems(current.chain, current.key, self.names,
                                                roots=[])
        # Self-signed or from a CA: only the names and the key matter here, not the chain.
        if any(not problem.startswith("The chain is") for problem in problems):
            return None
        return current

    def write(self, checkpoint: Checkpoint, certificate: SiteCertificate, logger: Logger) -> None:
        """Write the key (0600) and the certificate through ``checkpoint``."""
        transport = self.http.transport
        transport.makedirs(self.folder.parent, TLS_FOLDER_MODE)
        transport.makedirs(self.folder, TLS_FOLDER_MODE)
        if checkpoint.write(self.key_file, certificate.key, KEY_MODE):
            logger.info(f"Wrote {self.key_file}")
        if checkpoint.write(self.certificate_file, certificate.chain, CERTIFICATE_MODE):
            logger.info(f"Wrote {self.certificate_file}")

    def ensure(self, checkpoint: Checkpoint, logger: Logger) -> None:
        """Write a self-signed certificate when none on the server covers ``names``."""
        from . import certificates
        if self.serving() is not None:
            return
        key = certificates.new_key()
        self.write(checkpoint, SiteCertificate(certificates.self_signed(self.names, key), key),
                   logger)
        logger.info(f"{self.names[0]} serves HTTPS with a self-signed certificate until one "
                    "from a CA arrives.")

    def paths(self) -> dict[str, str]:
        """What the vhost template needs: the certificate and key files."""
        return {"certificate": str(self.certificate_file), "key": str(self.key_file)}


class SiteTls(CertificateFiles):
    """The certificate files of ``site`` on the web server ``http``."""

    def __init__(self, http: SiteVhosts, site: SiteContext) -> None:
        super().__init__(http, site.uri, domains(site))
        self.site = site


def challenge_folder(http: SiteVhosts) -> Path:
    """Where the server's vhosts serve ``/.well-known/acme-challenge/`` from."""
    return http.config_dir / "acme-challenge"


#: How long the web server may take to serve a challenge file it was just given (a reload that
#: has not reached every worker yet), before the CA is asked to fetch it.
CHALLENGE_SECONDS = 20.0
#: How long it must go on serving it: a worker of the configuration before the reload may still
#: take a connection for a moment after the first right answer (seen with nginx under load).
CHALLENGE_STEADY_SECONDS = 1.0


def wait_until_served(http: SiteVhosts, domain: str, token: str, content: str) -> None:
    """Fetch the challenge file the way the CA will (the web server's address, the domain as
    Host) until it has answered with ``content`` for CHALLENGE_STEADY_SECONDS: a reload still
    under way, or a vhost that does not serve challenges, is found here rather than by the CA."""
    from ..spoke import server_address

    address = server_address(http.server) if http.transport.remote else "localhost"
    port = int(http.setting("http_port"))
    path = f"/.well-known/acme-challenge/{token}"
    deadline = time.monotonic() + CHALLENGE_SECONDS
    answer, served_since = "no answer", None
    while True:
        connection = http_client.HTTPConnection(address, port, timeout=5)
        try:
            connection.request("GET", path, headers={"Host": domain})
            response = connection.getresponse()
            body = response.read(4096).decode("utf-8", "replace")
            answer = f"status {response.status}"
            if response.status == 200 and body.strip() == content:
                served_since = served_since or time.monotonic()
                if time.monotonic() - served_since >= CHALLENGE_STEADY_SECONDS:
                    return
            else:
                served_since = None
        except (OSError, http_client.HTTPException) as error:
            answer, served_since = str(error) or type(error).__name__, None
        finally:
            connection.close()
        if time.monotonic() > deadline:
            raise ProvisionError(
                f"The web server at {address}:{port} does not serve the certificate challenge "
                f"of {domain} (http://{domain}{path} gave {answer} within "
                f"{CHALLENGE_SECONDS:g} s), so the CA was not asked; verify the site.")
        time.sleep(0.2)


def _site_http(site: SiteContext) -> SiteVhosts:
    from ..sites.steps import http_service

    http = http_service(site)
    if http is None:
        raise ProvisionError(f"{site.uri} has no web server: HTTPS needs one.")
    return http


def order_from_ca(master: Context, tls: CertificateFiles,
                  logger: Logger) -> certificates.CertificateFacts:
    """A new certificate for ``tls.names`` from the ACME CA that ``master`` names (its
    ``acme_directory_url``), its HTTP-01 challenges answered by ``tls.http``; written and the
    web server reloaded. A refusal of the CA raises a ProvisionError and changes nothing."""
    from . import certificates
    from .acme_order import AcmeCA, order_certificate

    directory = str(master.raw("acme_directory_url"))
    ca = AcmeCA(directory, ca_bundle=master.raw("acme_ca_bundle") or None,
                email=str(master.raw("acme_email") or ""))
    http = tls.http
    folder = challenge_folder(http)
    transport = http.transport
    key = certificates.new_key()
    logger.info(f"Asking {directory} for a certificate for {', '.join(tls.names)}.")

    def publish(domain: str, token: str, content: str) -> None:
        transport.write_file(folder / token, content, 0o644)
        wait_until_served(http, domain, token, content)

    chain = order_certificate(
        ca, master.contexts.root / "config" / ".acme", tls.names, key,
        publish=publish, withdraw=lambda token: transport.remove(folder / token))
    certificate = SiteCertificate(chain, key)
    with http.config_lock() as lock:
        checkpoint = Checkpoint(transport)
        tls.write(checkpoint, certificate, logger)
        http.apply(checkpoint, lock, logger)
    facts = certificate.facts
    logger.success(f"{tls.names[0]} serves a certificate from {facts.issuer}, valid until "
                   f"{facts.not_after:%Y-%m-%d}.")
    return facts


def certificate_due(serving: SiteCertificate | None, renew_days: float, force: bool) -> bool:
    """Whether a certificate should come from the CA: none covers the names, the one served is
    self-signed or expires within ``renew_days``, or ``force``."""
    return (serving is None or serving.facts.self_signed or force
            or serving.facts.days_left() < renew_days)


def order_for_site(site: SiteContext, logger: Logger, *, renew_days: float = 30.0,
                   force: bool = False) -> certificates.CertificateFacts | None:
    """A certificate from the ACME CA for a site whose current one is self-signed, does not
    cover its domains or expires within ``renew_days`` (or always, with ``force``); written
    and the web server reloaded. The facts of the certificate now served; None when the site
    has no HTTPS. A refusal of the CA raises a ProvisionError and changes nothing."""
    if https_mode(site) == "off":
        return None
    http = _site_http(site)
    tls = SiteTls(http, site)
    serving = tls.serving()
    if site.raw("https_certificate") == "uploaded":
        if serving is not None and not serving.facts.self_signed:
            return serving.facts
        logger.warning(f"The uploaded certificate of {site.uri} does not cover its domains "
                       f"({', '.join(domains(site))}): upload one that does.")
        return serving.facts if serving is not None else None
    master = site.contexts.load("@server_master")
    directory = master.raw("acme_directory_url")
    due = certificate_due(serving, renew_days, force)
    if not directory or not due:
        if not directory and serving is not None and serving.facts.self_signed:
            logger.info(f"No ACME CA is set (acme_directory_url of @server_master): "
                        f"{site.uri} keeps its self-signed certificate.")
        return serving.facts if serving else None
    return order_from_ca(master, tls, logger)


#: Where the panel leaves an uploaded certificate and key for provision (aegir root).
UPLOADS = Path("config") / ".uploads"


def install_uploaded(site: SiteContext, certificate_file: str, key_file: str,
                     logger: Logger) -> certificates.CertificateFacts:
    """Serve the certificate and key the panel left in ``config/.uploads/``, checked again
    (provision trusts no caller): the key matches, it is valid now, it covers the site's domains
    and its chain is complete. Both files are removed whatever happens."""
    from . import certificates
    folder = (site.contexts.root / UPLOADS).resolve()
    paths = [Path(certificate_file), Path(key_file)]
    try:
        for path in paths:
            if not path.resolve().is_relative_to(folder) or not path.is_file():
                raise ProvisionError(f"{path} is not an uploaded file in {folder}; upload the "
                                     "certificate through the panel.")
        certificate = SiteCertificate(paths[0].read_text(errors="replace"),
                                      paths[1].read_text(errors="replace"))
        problems = certificates.upload_problems(certificate.chain, certificate.key,
                                                domains(site))
        if problems:
            raise ProvisionError("The uploaded certificate is refused: " + " ".join(problems))
        http = _site_http(site)
        with http.config_lock() as lock:
            checkpoint = Checkpoint(http.transport)
            SiteTls(http, site).write(checkpoint, certificate, logger)
            http.apply(checkpoint, lock, logger)
    finally:
        for path in paths:
            if path.resolve().is_relative_to(folder):
                path.unlink(missing_ok=True)
    facts = certificate.facts
    logger.success(f"{site.uri} serves the uploaded certificate from {facts.issuer}, valid "
                   f"until {facts.not_after:%Y-%m-%d}.")
    return facts


def certificate_step(site: SiteContext, logger: Logger) -> dict[str, object] | None:
    """The certificate step of install and verify: a certificate from the CA when one is due.
    A CA that refuses or cannot be reached is a warning, not a failure: the site keeps serving
    HTTPS with the certificate it has. The facts of the certificate served (None: no HTTPS)."""
    try:
        facts = order_for_site(site, logger)
    except ProvisionError as refusal:
        logger.warning(f"{refusal} {site.uri} keeps its current certificate.")
        serving = SiteTls(_site_http(site), site).serving()
        facts = serving.facts if serving is not None else None
    return facts.as_result() if facts is not None else None


def remove_after_commit(site: SiteContext, http: SiteVhosts, journal: Journal) -> None:
    """Declare the removal of the site's key and certificate (if it has them: a site that never
    had HTTPS has none), once its command has committed."""
    journal.after_commit({"type": "remove_tree", "server": site.web_server.name,
                          "path": str(SiteTls(http, site).folder)})
