"""``provision @site cron``: run the site's application cron through its own web server.

- Drupal 7: ``GET /cron.php?cron_key=KEY``; Drupal 8 and later: ``GET /cron/KEY``. The key is
  the ``cron_key`` option, else the site context's, else the one in the site's database.
- WordPress: ``GET /wp-cron.php``, which runs every due event (what WordPress's own docs
  advise for a system cron).

The request goes to the web server's address and port with the site's uri as the Host, so
the site's vhost, PHP and credentials are exactly what visitors get. Only a 2xx answer
counts: a disabled site answers with a redirect, a wrong key with 403.
"""

from __future__ import annotations

import http.client
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..apps.phpserial import unserialize
from ..errors import ApplicationError, ServiceError
from ..sites.steps import http_service, site_of
from ..spoke import server_address
from . import Invocation
from .statistics import site_query

if TYPE_CHECKING:
    from ..contexts.model import SiteContext

CONTEXT = "required"
CRON_TIMEOUT = 600.0


def run(invocation: Invocation) -> dict[str, Any]:
    """Request the site's cron address; the result says which and how long it took."""
    site = site_of(invocation)
    path = cron_path(site, str(invocation.options.get("cron_key") or ""))
    started = time.monotonic()
    status = _get(site, path)
    seconds = round(time.monotonic() - started, 3)
    # The key lets anyone run the site's cron: it stays out of the log.
    shown = path.split("?")[0] if "?" in path else path
    if shown.startswith("/cron/"):
        shown = "/cron/…"
    if not 200 <= status < 300:
        raise ApplicationError(
            f"The cron of {site.uri} answered HTTP {status} at {shown}; check that the site is "
            "enabled and verified (a wrong cron key answers 403), then run cron again."
        )
    invocation.logger.success(f"Ran cron on {site.uri} ({shown}, {seconds} s).")
    return {"cron_path": shown, "http_status": status, "seconds": seconds,
            "ran_at": int(time.time())}


def cron_path(site: SiteContext, key: str) -> str:
    """The address that runs the site's cron."""
    driver = site.driver
    if driver.kind == "wordpress":
        return "/wp-cron.php"
    if driver.kind != "drupal":
        raise ApplicationError(f"provision cannot run cron on a {driver.kind} site yet.")
    key = key or str(site.raw("cron_key") or "") or _stored_key(site, driver.core)
    if not key:
        raise ApplicationError(
            f"{site.uri} has no cron key in its database; verify the site, then run cron again."
        )
    if driver.core == "7":
        return f"/cron.php?cron_key={quote(key, safe='')}"
    return f"/cron/{quote(key, safe='')}"


def _stored_key(site: SiteContext, core: str) -> str:
    """The cron key Drupal keeps in the site's database."""
    if core == "7":
        rows = site_query(site, "SELECT value FROM variable WHERE name = 'cron_key'")
    else:
        rows = site_query(
            site,
            "SELECT value FROM key_value WHERE collection = 'state' AND name = 'system.cron_key'",
        )
    value = unserialize(rows[0][0]) if rows else None
    return str(value) if isinstance(value, str) else ""


def _get(site: SiteContext, path: str) -> int:
    """GET ``path`` from the site's web server with the site's uri as Host; the HTTP status."""
    if http_service(site) is None:
        raise ServiceError(
            f"The web server {site.web_server.name} of {site.uri} has no web service; cron runs "
            "through the site's web server."
        )
    host = server_address(site.web_server)
    port = int(site.web_server.raw("http_port") or 80)
    connection = http.client.HTTPConnection(host, port, timeout=CRON_TIMEOUT)
    try:
        connection.request("GET", path, headers={"Host": site.uri, "User-Agent": "provision-cron"})
        response = connection.getresponse()
        response.read()
        return int(response.status)
    except OSError as error:
        raise ServiceError(
            f"The web server of {site.uri} ({host}:{port}) could not be reached for cron: "
            f"{error}."
        ) from None
    finally:
        connection.close()
