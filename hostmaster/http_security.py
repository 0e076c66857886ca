"""What the panel does for HTTPS and proxies: which address and scheme a request came from,
Secure cookies and HSTS on HTTPS.

Behind reverse proxies, ``PROXY_COUNT`` (``HOSTMASTER_PROXY_COUNT``) says how many of them set
``X-Forwarded-For`` and ``X-Forwarded-Proto``; only then are those headers believed (Werkzeug's
``ProxyFix``, which takes the address the last trusted proxy saw). With the default 0 a client
cannot pick the address that login throttling and sign-up limits count, nor the scheme.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask.wrappers import Response
from werkzeug.middleware.proxy_fix import ProxyFix

#: One year; no includeSubDomains, since the panel's subdomains may be sites served over HTTP.
HSTS_VALUE = "max-age=31536000"


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Session cookies (HttpOnly, SameSite by the config) that are also Secure on every
    request that came over HTTPS, even when the configuration does not say so."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure
        )


def configure_http_security(app: Flask) -> None:
    """Trust the configured proxies, make cookies Secure over HTTPS, send HSTS on HTTPS."""
    app.session_interface = HttpsAwareSessionInterface()
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:
        wsgi: Any = app.wsgi_app
        app.wsgi_app = ProxyFix(wsgi, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.after_request(strict_transport_security)


def strict_transport_security(response: Response) -> Response:
    """Tell browsers to come back over HTTPS only, on answers that went over HTTPS (a header
    sent over plain HTTP would be ignored, and could pin a panel that has no HTTPS)."""
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS_VALUE)
    return response
