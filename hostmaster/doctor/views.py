"""``/admin/doctor``: the last listing of orphans on each server, a button that lists them
again, and a confirmed Remove for each orphan. Administrators only (``administer hosting``);
everyone else gets 404."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import access
from ..services import doctor
from ..services.errors import TaskNotAvailable
from .forms import OrphanRemoveForm

bp = Blueprint("doctor", __name__, url_prefix="/admin/doctor")


@bp.route("")
def index() -> str:
    """Each server's last listing and its orphans."""
    access.require("administer hosting")
    return render_template("admin/doctor.html", listings=doctor.last_listings(),
                           pending=doctor.PENDING)


@bp.route("/list", methods=["POST"])
def list_orphans() -> Response:
    """Queue a listing on every server."""
    access.require("administer hosting")
    queued = doctor.queue_listings(current_user)
    flash(f"Looking for orphans on {len(queued)} server(s); the page shows what they find once "
          "the dispatcher has run the listings.", "success")
    return redirect(url_for("doctor.index"))


@bp.route("/remove", methods=["GET", "POST"])
def remove() -> Response | str:
    """Confirm the removal of one orphan of the last listing, then queue it."""
    access.require("administer hosting")
    form = OrphanRemoveForm(data={"server_id": request.args.get("server_id", type=int),
                                  "orphan": request.args.get("orphan", "")})
    found = doctor.find_orphan(form.server_id.data or 0, form.orphan.data or "")
    if found is None:
        flash("That orphan is not in the last listing (it may be removed already); list the "
              "orphans again.", "error")
        return redirect(url_for("doctor.index"))
    server, orphan = found
    if form.validate_on_submit():
        try:
            task = doctor.queue_removal(server.id, orphan["id"], current_user)
        except TaskNotAvailable as error:
            flash(str(error), "error")
        else:
            flash(f"The removal of the {orphan['title']} {orphan['name']} is queued "
                  f"(task #{task.id}).", "success")
        return redirect(url_for("doctor.index"))
    return render_template("admin/doctor_remove.html", form=form, server=server, orphan=orphan)
