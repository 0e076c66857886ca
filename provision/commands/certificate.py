"""``provision @site certificate [--renew_days=N] [--force=true]``: the site's certificate renewed
from the ACME CA when it expires within ``renew_days`` days (default 30), is self-signed or no
longer covers the site's domains; with ``--force`` whatever its age. With
``--certificate_file=F --key_file=K`` (files the panel left in ``config/.uploads/``) the
uploaded certificate is checked and served instead, and both files are removed.

Unlike verify, a CA that refuses or cannot be reached fails the command with its reason; the
old certificate and key stay where they were and keep serving. The result holds the facts of
the certificate served (``certificate``: names, not_after, serial, issuer).
"""

from __future__ import annotations

from typing import Any

from ..errors import ProvisionError
from ..sites.steps import site_of
from ..tls.site_tls import install_uploaded, order_for_site
from . import Invocation

CONTEXT = "required"
DEFAULT_RENEW_DAYS = 30.0


def run(invocation: Invocation) -> dict[str, Any]:
    """Renew the site's certificate when it is due."""
    site = site_of(invocation)
    options = invocation.options
    if str(site.raw("https") or "off") == "off":
        raise ProvisionError(f"{site.uri} has no HTTPS (https is off): set it to enabled or "
                             "required and verify the site first.")
    if options.get("certificate_file") or options.get("key_file"):
        uploaded = install_uploaded(site, str(options.get("certificate_file") or ""),
                                    str(options.get("key_file") or ""), invocation.logger)
        return {"certificate": uploaded.as_result()}
    renew_days = options.get("renew_days")
    facts = order_for_site(
        site, invocation.logger,
        renew_days=DEFAULT_RENEW_DAYS if renew_days in (None, "") else float(renew_days),
        force=str(options.get("force") or "").lower() in ("1", "true", "yes"))
    if facts is not None and not facts.self_signed:
        invocation.logger.info(f"The certificate of {site.uri} expires on "
                               f"{facts.not_after:%Y-%m-%d} ({facts.days_left():.0f} days).")
    return {"certificate": facts.as_result() if facts is not None else None}
