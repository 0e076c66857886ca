"""The Queues page (administrators): each batch queue's schedule, editable, and the backup
retention, globally and per site."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .. import access
from ..extensions import db
from ..models import Site, SiteSchedule
from . import get
from . import state as queue_state
from .forms import QueueEditForm, RetentionForm, SiteRetentionForm
from .retention import FIELDS, global_policy
from .schedule import describe, every

bp = Blueprint("queues", __name__, url_prefix="/queues")
KEEP_FIELDS = tuple(f"keep_{name}" for name in FIELDS)


@bp.before_request
def administrators_only() -> None:
    """Queues and retention are the hosting admin's business."""
    access.require("administer hosting queues")


@bp.route("")
def index() -> str:
    """Every queue with its schedule form, and the global retention form."""
    views = queue_state.overview()
    forms = {
        view.queue.name: QueueEditForm(
            prefix=view.queue.name,
            data={"enabled": view.state.enabled, "frequency": view.state.frequency,
                  "items": view.state.items or None},  # 0 (no limit) shows as empty
        )
        for view in views
    }
    policy = global_policy()
    retention = RetentionForm(data={f"keep_{name}": getattr(policy, name) for name in FIELDS})
    return render_template("queues/index.html", views=views, forms=forms, retention=retention)


@bp.route("/<name>", methods=["POST"])
def edit(name: str) -> Response | str:
    """Save one queue's schedule; it applies from the next dispatch pass."""
    try:
        queue = get(name)
    except KeyError:
        abort(404)
    form = QueueEditForm(prefix=name)
    if not form.validate_on_submit():
        for field in form:
            for message in field.errors:
                flash(f"{queue.title}: {field.label.text}: {message}", "error")
        return redirect(url_for("queues.index"))
    queue_state.update_settings(name, bool(form.enabled.data), int(form.frequency.data or 0),
                                int(form.items.data or 0))
    word = "enabled" if form.enabled.data else "disabled"
    flash(f"The {queue.title.lower()} queue is {word}, {every(int(form.frequency.data or 0))}.",
          "success")
    return redirect(url_for("queues.index"))


@bp.route("/retention", methods=["POST"])
def retention() -> Response:
    """Save the global backup retention."""
    form = RetentionForm()
    if form.validate_on_submit():
        queue_state.save_global_retention({key: int(getattr(form, key).data or 0)
                                           for key in KEEP_FIELDS})
        flash(f"Scheduled backups now keep {global_policy().describe()}.", "success")
    else:
        for field in form:
            for message in field.errors:
                flash(f"Retention: {field.label.text}: {message}", "error")
    return redirect(url_for("queues.index"))


@bp.route("/sites/<int:site_id>/retention", methods=["GET", "POST"])
def site_retention(site_id: int) -> Response | str:
    """A site's own retention (blank fields: the global values)."""
    site = access.get_or_404(Site, site_id)
    schedule = db.session.get(SiteSchedule, site_id)
    form = SiteRetentionForm(data={key: getattr(schedule, key, None) for key in KEEP_FIELDS})
    if form.validate_on_submit():
        queue_state.save_site_retention(site_id, {key: getattr(form, key).data
                                                  for key in KEEP_FIELDS})
        flash(f"Retention of {site.uri} saved.", "success")
        return redirect(url_for("sites.show", entity_id=site_id))
    return render_template("queues/site_retention.html", site=site, form=form,
                           policy=global_policy())


@bp.app_template_global()
def queue_plan(view: queue_state.QueueView) -> str:
    """What the queue does now, in words (``schedule.describe``)."""
    return describe(view.plan, view.queue.kind, view.total, view.queue.unit)


@bp.app_template_global()
def site_statistics_chart(site_id: int) -> str:
    """The site's statistics history as inline SVG ("" before the first reading)."""
    from .chart import chart_svg, history

    return chart_svg(history(site_id))


@bp.app_template_global()
def statistics_totals() -> object:
    """The dashboard's totals of users, active users, content items and comments."""
    from .chart import totals

    return totals()
