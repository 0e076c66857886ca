"""Public pages: the page a disabled site's vhost sends its visitors to."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..services.site_domains import MAX_DOMAIN

bp = Blueprint("public", __name__, url_prefix="/hosting")


@bp.route("/disabled/<path:uri>")
def disabled(uri: str) -> tuple[str, int]:
    """"This site is disabled." with the site's address, as 503 (the site is away for now)."""
    return render_template("public/disabled.html", uri=uri[:MAX_DOMAIN]), 503
