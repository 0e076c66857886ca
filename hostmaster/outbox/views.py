"""The Outbox (Administration › Outbox): the mails the panel queued, sent or failed to send,
newest first and filtered by status, each with its attempts and last error; a queued or failed
mail is sent again with Resend."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import access
from ..extensions import db
from ..listing import page_of
from ..models import MailStatus, OutgoingMail
from ..services import mail, outbox
from ..ui import local_target

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


@bp.before_request
def administrators_only() -> None:
    """Mails carry people's addresses: the hosting admin's business."""
    access.require("administer hosting settings")


def _mail_or_404(mail_id: int) -> OutgoingMail:
    found = db.session.get(OutgoingMail, mail_id)
    if found is None:
        abort(404)
    return found


@bp.route("")
def index() -> str:
    """The mails a page at a time, newest first; ``?status=queued|sent|failed`` filters."""
    name = (request.args.get("status") or "").upper()
    status = MailStatus[name] if name in MailStatus.__members__ else None
    return render_template(
        "outbox/index.html",
        page=page_of(outbox.mails(status), request.args),
        status=status,
        counts=outbox.status_counts(),
        purposes=outbox.PURPOSES,
        smtp=mail.server_name(),
    )


@bp.route("/<int:mail_id>")
def show(mail_id: int) -> str:
    """One mail: to whom, what for, its text, and how its tries went."""
    return render_template("outbox/show.html", mail=_mail_or_404(mail_id),
                           purposes=outbox.PURPOSES, marker=outbox.PASSWORD_LINK_MARKER)


@bp.route("/<int:mail_id>/resend", methods=["POST"])
def resend(mail_id: int) -> Response:
    """Send a queued or failed mail again, and say how it went."""
    found = _mail_or_404(mail_id)
    if found.status == MailStatus.SENT:
        flash(f"The mail to {found.recipient} was sent already.", "info")
    elif outbox.resend(found):
        flash(f"The mail to {found.recipient} went through {mail.server_name()}.", "success")
    else:
        flash(f"{outbox.failure(found)} Check the mail settings and try again.", "error")
    return redirect(local_target(request.form.get("back")) or url_for("outbox.index"))
