"""The "Migrate sites" dialog of a platform: choose a target, review the sites, queue them.

It is the platform task ``migrate``'s own dialog (its TaskType's ``dialog``): it has two steps
and queues site tasks, which the generic one-form confirm page cannot do.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import access
from ..models import Platform, Task
from ..services import platform_migration, tasks
from ..services.errors import TaskNotAvailable
from ..tasks import registry
from ..tasks.platform_migrate import PlatformMigrateForm

bp = Blueprint("platform_migrate", __name__)


@bp.route("/platforms/<int:entity_id>/migrate", methods=["GET", "POST"])
def confirm(entity_id: int) -> Response | str:
    """Step one: the target; step two: which sites move and which stay; then queue them."""
    platform = access.get_or_404(Platform, entity_id)
    if not access.may_run(current_user, "migrate", platform):
        abort(404)
    targets = [p for p in platform_migration.targets_for(platform)
               if access.may_use_platform(current_user, p)]
    form = PlatformMigrateForm(targets)
    reason = tasks.why_unavailable(platform, "migrate")
    if reason is None and not targets:
        reason = (
            f"There is no other enabled {platform.application or 'application'} platform on "
            f"{platform.web_server.title} to migrate the sites to."
        )
    plan = None
    if reason is None and form.validate_on_submit():
        target = next(p for p in targets if p.id == form.target_platform.data)
        try:
            if form.reviewed.data != "1":
                plan = platform_migration.plan(platform, target)
            else:
                record = platform_migration.migrate_sites(
                    platform, target, current_user._get_current_object()
                )
                return _queued(record)
        except TaskNotAvailable as refusal:
            form.form_errors.append(str(refusal))
    return render_template(
        "platforms/migrate.html",
        platform=platform,
        task_type=registry.get("platform", "migrate"),
        form=form,
        reason=reason,
        plan=plan,
        action=request.path,
    )


def _queued(record: Task) -> Response:
    """Say what was queued and what stays, then show the platform's task and its log."""
    lines = tasks.log_of(record)
    queued = sum(1 for line in lines if line.level == "info")
    left = [line.message for line in lines if line.level == "warning"]
    sites = "site is" if queued == 1 else "sites are"
    flash(f"Migrate tasks for {queued} {sites} queued.", "success")
    if left:
        flash(" ".join(left), "warning")
    return redirect(url_for("tasks.show", task_id=record.id))
