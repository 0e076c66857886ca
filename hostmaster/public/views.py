"""Public pages: the page a disabled site's vhost sends its visitors to."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from ..services.site_domains import MAX_DOMAIN
from ..services.sites import shows_disabled_page

bp = Blueprint("public", __name__, url_prefix="/hosting")


@bp.route("/disabled/<path:uri>")
def disabled(uri: str) -> tuple[str, int]:
    """"This site is disabled." with the site's address, as 503 (the site is away for now);
    404 for a site that is deleted or unknown (or not away)."""
    if not shows_disabled_page(uri[:MAX_DOMAIN]):
        abort(404)
    return render_template("public/disabled.html", uri=uri[:MAX_DOMAIN]), 503
