"""Tasks: run one on an entity, list them, follow one's log live, cancel and run again."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import ENTITY_MODELS, Entity, Task, TaskLog, load_entity
from ..services import task_queries, tasks
from ..services.errors import TaskNotAvailable
from ..ui import entity_url
from . import registry
from .forms import TaskFilterForm

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

SECRET_WORDS = ("pass", "secret", "token", "key")


def _entity_or_404(kind: str, entity_id: int) -> Entity:
    """The server, platform or site ``kind`` number ``entity_id``; 404 when there is none."""
    if kind not in ENTITY_MODELS:
        abort(404)
    entity = load_entity(db.session, kind, entity_id)
    if entity is None:
        abort(404)
    return entity


@bp.route("")
def index() -> str:
    """All tasks, newest first, a page at a time, filtered by status and entity."""
    form = TaskFilterForm(request.args)
    kind, entity_id = form.selected_entity()
    entity = _entity_or_404(kind, entity_id) if kind is not None and entity_id is not None else None
    page = db.paginate(
        task_queries.task_select(form.selected_status(), kind, entity_id),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    titles = task_queries.entity_titles(page.items)
    return render_template("tasks/list.html", form=form, page=page, titles=titles, entity=entity)


@bp.route("/run/<kind>/<int:entity_id>/<type_name>", methods=["POST"])
def run(kind: str, entity_id: int, type_name: str) -> Response:
    """Queue a task on an entity, or say why it cannot be queued now."""
    entity = _entity_or_404(kind, entity_id)
    try:
        task_type = registry.get(kind, type_name)
    except KeyError:
        abort(404)
    if task_type.hidden:
        abort(404)  # hidden tasks (install, noop) are queued by the system, never by a click
    try:
        task = tasks.queue(entity, type_name, user=current_user._get_current_object())
    except TaskNotAvailable as refusal:
        flash(str(refusal), "error")
        return redirect(entity_url(kind, entity_id))
    flash(f"{task_type.title} of {entity.title} is queued.", "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.route("/confirm/<kind>/<int:entity_id>/<type_name>", methods=["GET", "POST"])
def confirm(kind: str, entity_id: int, type_name: str) -> Response | str:
    """The confirm dialog of a task type with a form; submitting it queues the task."""
    entity = _entity_or_404(kind, entity_id)
    try:
        task_type = registry.get(kind, type_name)
    except KeyError:
        abort(404)
    if task_type.hidden or task_type.form is None:
        abort(404)
    form = task_type.form()
    reason = tasks.why_unavailable(entity, type_name)
    if reason is None and form.validate_on_submit():
        try:
            task = tasks.queue(
                entity, type_name, form.arguments(), user=current_user._get_current_object()
            )
        except TaskNotAvailable as refusal:
            reason = str(refusal)
        else:
            flash(f"{task_type.title} of {entity.title} is queued.", "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    return render_template(
        "tasks/confirm.html", entity=entity, task_type=task_type, form=form, reason=reason
    )


@bp.route("/<int:task_id>")
def show(task_id: int) -> str:
    """A task: what, on what, who asked, when, its arguments and its log."""
    task = db.get_or_404(Task, task_id)
    return render_template(
        "tasks/show.html",
        task=task,
        entity=tasks.entity_of(task),
        arguments=shown_arguments(task.arguments or {}),
        lines=tasks.log_of(task),
    )


@bp.route("/<int:task_id>/log.json")
def log_json(task_id: int) -> dict[str, Any]:
    """The log lines after ``?after=<id>`` and the task's status, for the page's live log."""
    task = db.get_or_404(Task, task_id)
    lines = tasks.log_of(task, request.args.get("after", 0, type=int))
    return {
        "lines": [line_json(line) for line in lines],
        "status": task.status.name.lower(),
        "finished": task.status.finished,
    }


@bp.route("/<int:task_id>/cancel", methods=["POST"])
def cancel(task_id: int) -> Response:
    """Cancel a queued task."""
    task = db.get_or_404(Task, task_id)
    try:
        tasks.cancel(task)
    except TaskNotAvailable as refusal:
        flash(str(refusal), "error")
    else:
        flash(f"Task {task.id} is cancelled.", "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.route("/<int:task_id>/retry", methods=["POST"])
def retry(task_id: int) -> Response:
    """Queue a finished task again, as a new task."""
    task = db.get_or_404(Task, task_id)
    try:
        again = tasks.retry(task, current_user._get_current_object())
    except TaskNotAvailable as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("tasks.show", task_id=task.id))
    flash(f"{task_queries.type_title(again)} is queued again as task {again.id}.", "success")
    return redirect(url_for("tasks.show", task_id=again.id))


def line_json(line: TaskLog) -> dict[str, Any]:
    """One log line as the live log script reads it."""
    return {
        "id": line.id,
        "level": line.level,
        "message": line.message,
        "time": line.created_at.isoformat(timespec="seconds") + "Z",
    }


def shown_arguments(arguments: dict[str, Any]) -> dict[str, str]:
    """A task's arguments for display, with anything that looks like a secret hidden."""
    return {
        name: "(hidden)" if any(word in name.lower() for word in SECRET_WORDS) else str(value)
        for name, value in sorted(arguments.items())
    }

