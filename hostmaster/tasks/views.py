"""Tasks: run one on an entity, list them, follow one's log live, cancel and run again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import access
from ..extensions import db
from ..listing import page_of, search_term
from ..models import ENTITY_MODELS, Entity, Task
from ..models.task import MAX_LOG_ID
from ..services import dispatch_control, task_queries, task_status, tasks
from ..services.errors import TaskNotAvailable, ValidationError
from ..ui import apply_errors, entity_url
from . import events, registry
from .forms import DispatchSettingsForm, TaskFilterForm

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

SECRET_WORDS = ("pass", "secret", "token", "key")


def _entity_or_404(kind: str, entity_id: int) -> Entity:
    """The server, platform or site ``kind`` number ``entity_id``; 404 when there is none or
    the user may not see it."""
    if kind not in ENTITY_MODELS:
        abort(404)
    return access.get_or_404(ENTITY_MODELS[kind], entity_id)


def _task_type_or_404(entity: Entity, kind: str, type_name: str) -> registry.TaskType:
    """The task type, if the user may queue it on ``entity``; 404 otherwise (also for hidden
    tasks such as install and noop, which only the system queues)."""
    try:
        task_type = registry.get(kind, type_name)
    except KeyError:
        abort(404)
    if task_type.hidden or not access.may_run(current_user, task_type, entity):
        abort(404)
    return task_type


@bp.route("")
def index() -> str:
    """All tasks a page at a time, newest first or sorted by type or status; filtered by
    status, type, entity, or part of the entity's name (hostmaster.listing)."""
    form = TaskFilterForm(request.args)
    kind, entity_id = form.selected_entity()
    entity = _entity_or_404(kind, entity_id) if kind is not None and entity_id is not None else None
    query, sorting = task_queries.task_list(request.args, form.selected_status(), kind,
                                            entity_id, viewer=current_user)
    page = page_of(query, request.args)
    titles = task_queries.entity_titles(page.items)
    return render_template("tasks/list.html", form=form, page=page, titles=titles, entity=entity,
                           sorting=sorting, term=search_term(request.args),
                           type_names=task_queries.type_names())


@bp.route("/run/<kind>/<int:entity_id>/<type_name>", methods=["POST"])
def run(kind: str, entity_id: int, type_name: str) -> Response:
    """Queue a task on an entity (with no arguments: a task that needs some says so), or say
    why it cannot be queued now."""
    entity = _entity_or_404(kind, entity_id)
    task_type = _task_type_or_404(entity, kind, type_name)
    try:
        task = tasks.queue(entity, type_name, user=current_user._get_current_object())
    except (TaskNotAvailable, ValidationError) as refusal:
        flash(str(refusal), "error")
        return redirect(entity_url(kind, entity_id))
    flash(f"{task_type.title} of {entity.title} is queued.", "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.route("/confirm/<kind>/<int:entity_id>/<type_name>", methods=["GET", "POST"])
def confirm(kind: str, entity_id: int, type_name: str) -> Response | str:
    """The confirm dialog of a task type with a form; submitting it queues the task. With
    ``?fragment=1`` only the form, for the dialog an entity page opens."""
    entity = _entity_or_404(kind, entity_id)
    task_type = _task_type_or_404(entity, kind, type_name)
    if task_type.form is None:
        abort(404)
    if task_type.dialog:
        return redirect(url_for(task_type.dialog, entity_id=entity_id))
    form = task_type.form(entity=entity)
    reason = tasks.why_unavailable(entity, type_name)
    if reason is None and form.validate_on_submit():
        try:
            # The arguments as sent: the one queue function checks them with this form's rules.
            task = tasks.queue(entity, type_name, _sent_arguments(form),
                               user=current_user._get_current_object())
        except TaskNotAvailable as refusal:
            reason = str(refusal)
        except ValidationError as refused:
            apply_errors(form, refused)
        else:
            flash(f"{task_type.title} of {entity.title} is queued.", "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    fragment = request.method == "GET" and request.args.get("fragment") == "1"
    return render_template(
        "tasks/_confirm_form.html" if fragment else "tasks/confirm.html",
        entity=entity, task_type=task_type, form=form, reason=reason, fragment=fragment,
    )


@bp.route("/<int:task_id>")
def show(task_id: int) -> str:
    """A task: what, on what, who asked, when, its arguments and its log."""
    task = access.get_or_404(Task, task_id)
    may_see_log = access.may_see_log(current_user, task)
    return render_template(
        "tasks/show.html",
        task=task,
        entity=tasks.entity_of(task),
        arguments=shown_arguments(task.arguments or {}),
        lines=tasks.log_of(task) if may_see_log else [],
        may_see_log=may_see_log,
        may_cancel=access.may_cancel(current_user, task),
        may_retry=access.may_retry(current_user, task),
        may_update_status=access.may_update_status(current_user, task),
        status_refusal=task_status.why_not_updatable(task),
    )


@bp.route("/<int:task_id>/log.json")
def log_json(task_id: int) -> dict[str, Any]:
    """The log lines after ``?after=<id>`` and the task's status, for the page's live log."""
    task = access.get_or_404(Task, task_id, action="log")
    lines = tasks.log_of(task, _line_id(request.args.get("after")))
    return {
        "lines": [events.line_data(line) for line in lines],
        "status": task.status.name.lower(),
        "finished": task.status.finished,
    }


@bp.route("/<int:task_id>/events")
def log_events(task_id: int) -> Response:
    """The task's new log lines, status changes and end as server-sent events, from the line
    after ``Last-Event-ID`` (a reconnecting browser) or ``?after=<id>`` (the page's last)."""
    access.get_or_404(Task, task_id, action="log")
    after = _line_id(request.headers.get("Last-Event-ID") or request.args.get("after"))
    return _event_stream(lambda timing: events.log_stream(task_id, after, **timing))


@bp.route("/events")
def status_events() -> Response:
    """The statuses of the tasks ``?task=<id>`` (repeated; those the user may see, at most
    50) as server-sent events, until every one has finished: the sidebar and the entity pages
    follow their unfinished tasks with it (static/js/live.js)."""
    wanted = [i for i in request.args.getlist("task", type=int) if i > 0][:events.MAX_FOLLOWED]
    query = access.visible(select(Task.id).where(Task.id.in_(wanted)), Task, current_user)
    allowed = set(db.session.scalars(query)) if wanted else set()
    task_ids = [i for i in dict.fromkeys(wanted) if i in allowed]
    return _event_stream(lambda timing: events.status_stream(task_ids, **timing))


def _event_stream(make: Callable[[dict[str, float]], Iterator[str]]) -> Response:
    """A server-sent event stream of ``make``'s events, timed by the app's configuration."""
    db.session.remove()  # the stream opens its own session each time it polls
    config = current_app.config
    body = make({
        "seconds": config.get("TASK_EVENTS_SECONDS", 25.0),
        "poll_seconds": config.get("TASK_EVENTS_POLL_SECONDS", 0.5),
        "heartbeat_seconds": config.get("TASK_EVENTS_HEARTBEAT_SECONDS", 10.0),
    })
    return Response(
        stream_with_context(body),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@bp.route("/<int:task_id>/cancel", methods=["POST"])
def cancel(task_id: int) -> Response:
    """Cancel a queued task."""
    task = access.get_or_404(Task, task_id)
    if not access.may_cancel(current_user, task):
        abort(404)
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
    task = access.get_or_404(Task, task_id)
    if not access.may_retry(current_user, task):
        abort(404)
    try:
        again = tasks.retry(task, current_user._get_current_object())
    except (TaskNotAvailable, ValidationError) as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("tasks.show", task_id=task.id))
    flash(f"{task_queries.type_title(again)} is queued again as task {again.id}.", "success")
    return redirect(url_for("tasks.show", task_id=again.id))


@bp.route("/<int:task_id>/update-status", methods=["POST"])
def update_status(task_id: int) -> Response:
    """Recompute a finished or stuck task's status from its log."""
    task = access.get_or_404(Task, task_id)
    if not access.may_update_status(current_user, task):
        abort(404)
    try:
        status = task_status.update_status(task, current_user._get_current_object())
    except TaskNotAvailable as refusal:
        flash(str(refusal), "error")
    else:
        flash(f"Task {task.id} is now {status.name.title()}, as its log says.", "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.route("/dispatch", methods=["GET", "POST"])
def dispatch() -> Response | str:
    """The dispatcher's state: paused or not, what runs, and the cap on running tasks."""
    access.require("administer tasks")
    state = dispatch_control.state()
    days = dispatch_control.retention_days()
    form = DispatchSettingsForm(data={"concurrency": state.concurrency, "retention_days": days})
    if form.validate_on_submit():
        access.require("administer hosting queues")
        dispatch_control.set_concurrency(form.concurrency.data)
        dispatch_control.set_retention_days(form.retention_days.data or 0)
        flash("The dispatcher's settings are saved.", "success")
        return redirect(url_for("tasks.dispatch"))
    return render_template(
        "tasks/dispatch.html",
        form=form,
        state=state,
        default=dispatch_control.default_concurrency(),
        running=dispatch_control.running_tasks(),
    )


@bp.route("/dispatch/<action>", methods=["POST"])
def dispatch_switch(action: str) -> Response:
    """Pause or resume every dispatcher (running tasks carry on to their end)."""
    access.require("administer hosting queues")
    if action == "pause":
        dispatch_control.pause()
        flash("Dispatch is paused: queued tasks wait; running ones go on to their end.", "success")
    elif action == "resume":
        dispatch_control.resume()
        flash("Dispatch resumed.", "success")
    else:
        abort(404)
    return redirect(url_for("tasks.dispatch"))


def _line_id(value: str | None) -> int:
    """A log line id from the query string or a reconnecting browser: 0 (every line) unless
    it is a whole number the store's ids can reach."""
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_LOG_ID)):
        return 0
    return int(text) if int(text) <= MAX_LOG_ID else 0


def _sent_arguments(form: Any) -> dict[str, Any]:
    """What the dialog sent for each of its fields (lists for fields sent several times)."""
    sent = request.form
    return {name: (values if len(values) > 1 else values[0])
            for name in form._fields if name not in ("csrf_token", "submit")
            for values in [sent.getlist(name)] if values}


def shown_arguments(arguments: dict[str, Any]) -> dict[str, str]:
    """A task's arguments for display, with anything that looks like a secret hidden."""
    return {
        name: "(hidden)" if any(word in name.lower() for word in SECRET_WORDS) else str(value)
        for name, value in sorted(arguments.items())
    }
