"""The REST API's operations: list and read servers, platforms, sites, clients, tasks and
backups; create a site; change a server; queue a task; read a task's log."""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from .. import access
from ..extensions import csrf, db
from ..models import (
    MAX_ID,
    Client,
    Platform,
    Server,
    Site,
    SiteBackup,
    Task,
    TaskStatus,
    User,
)
from ..services import api_tokens, features, server_edits, site_aliases, site_https, sites, tasks
from ..services.errors import TaskNotAvailable, ValidationError
from ..services.migration_targets import migration_targets
from ..tasks import registry
from . import bp
from .openapi import document
from .serialize import as_dict, https_dict

csrf.exempt(bp)

#: The models a list or read operation serves, by the path word.
COLLECTIONS: dict[str, Any] = {
    "servers": Server,
    "platforms": Platform,
    "sites": Site,
    "clients": Client,
    "tasks": Task,
}
#: The entity kind of each path word that can have tasks queued.
TASK_KINDS = {"servers": "server", "platforms": "platform", "sites": "site"}
MAX_LIMIT = 500


def _user() -> User:
    user: User = g.api_user
    return user


@bp.before_request
def authenticate() -> ResponseReturnValue | None:
    """Every operation but the OpenAPI document needs a valid token."""
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = api_tokens.user_for(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        response = jsonify(error="A valid API token is needed: send it as "
                                 "'Authorization: Bearer <token>'.")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="hostmaster"'
        return response
    g.api_user = user
    return None


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> ResponseReturnValue:
    """Errors as JSON, never as an HTML page."""
    messages = {404: "There is no such object (or you may not see it).",
                405: "This operation does not take that method."}
    text = messages.get(error.code or 0, error.description or error.name)
    return jsonify(error=text), error.code or 500


def _page() -> tuple[int, int]:
    """``limit`` (1 to 500, 100 by default) and ``offset`` of a list request."""
    try:
        limit = int(request.args.get("limit", 100))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        abort(400, "limit and offset are whole numbers.")
    if not 1 <= limit <= MAX_LIMIT or not 0 <= offset <= MAX_ID:
        abort(400, f"limit is 1 to {MAX_LIMIT}, offset 0 to {MAX_ID}.")
    return limit, offset


def _list(query: Any) -> ResponseReturnValue:
    limit, offset = _page()
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.limit(limit).offset(offset)).all()
    return jsonify(items=[as_dict(row) for row in rows], total=total, limit=limit, offset=offset)


def _visible_or_404(model: Any, object_id: int) -> Any:
    if object_id > MAX_ID:
        abort(404)
    return access.get_or_404(model, object_id, _user())


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())


@bp.get("/<any(servers, platforms, sites, clients, tasks):collection>")
def list_objects(collection: str) -> ResponseReturnValue:
    """The objects of a collection the user may see, oldest first."""
    model = COLLECTIONS[collection]
    query = access.visible(select(model), model, _user()).order_by(model.id)
    if collection == "tasks" and request.args.get("status"):
        status = request.args["status"].upper()
        if status not in TaskStatus.__members__:
            abort(400, "status is one of " + ", ".join(s.lower() for s in TaskStatus.__members__))
        query = query.where(Task.status == TaskStatus[status])
    return _list(query)


@bp.get("/<any(servers, platforms, sites, clients, tasks):collection>/<int:object_id>")
def read_object(collection: str, object_id: int) -> ResponseReturnValue:
    """One object the user may see."""
    return jsonify(as_dict(_visible_or_404(COLLECTIONS[collection], object_id)))


@bp.get("/sites/<int:object_id>/backups")
def site_backups(object_id: int) -> ResponseReturnValue:
    """A site's backups, newest first."""
    site = _visible_or_404(Site, object_id)
    query = select(SiteBackup).where(SiteBackup.site_id == site.id).order_by(
        SiteBackup.id.desc())
    return _list(query)


@bp.get("/sites/<int:object_id>/targets")
def site_targets(object_id: int) -> ResponseReturnValue:
    """The platforms the site's migrate and clone may choose, each with the reason it is
    refused (null: it may be chosen)."""
    site = _visible_or_404(Site, object_id)
    if not any(access.may_run(_user(), name, site) for name in ("migrate", "clone")):
        abort(404)
    return jsonify(targets=[target.summary() for target in migration_targets(site)])


@bp.get("/tasks/<int:object_id>/log")
def task_log(object_id: int) -> ResponseReturnValue:
    """A task's log lines; ``after`` gives only the lines after that line id."""
    task = _visible_or_404(Task, object_id)
    if not access.can(_user(), "access task logs"):
        abort(404)
    try:
        after = int(request.args.get("after", 0))
    except ValueError:
        abort(400, "after is a whole number.")
    if not 0 <= after <= 2**63 - 1:
        abort(400, "after is a line id, 0 or more.")
    lines = tasks.log_of(task, after)
    return jsonify(status=task.status.name.lower(), lines=[as_dict(line) for line in lines])


def _json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send a JSON object (Content-Type: application/json).")
    return body


def _invalid(errors: dict[str, list[str]]) -> ResponseReturnValue:
    return jsonify(error="The request is not valid; nothing was changed.", fields=errors), 400


def _id_of(body: dict[str, Any], key: str, model: Any, *, required: bool) -> Any:
    """The visible object whose id ``body[key]`` gives (None when absent and not required)."""
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError.field(key, f"{key} is the id of a {model.__tablename__}.")
    found = db.session.get(model, value) if 0 < value <= MAX_ID else None
    if found is None or not access.can_see(_user(), found):
        raise ValidationError.field(key, f"There is no {model.__tablename__} {value}.")
    return found


def _domains(body: dict[str, Any], key: str) -> list[str]:
    """``body[key]``: a list of domains (empty when absent)."""
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError.field(key, f"{key} is a list of domains.")
    return value


@bp.post("/sites")
def create_site() -> ResponseReturnValue:
    """Create a site: its install task is queued at once."""
    if not access.can(_user(), "create site"):
        abort(404)
    body = _json_object()
    try:
        aliases = {key: _domains(body, key) for key in ("aliases", "redirect_aliases")}
        if body.get("redirection") not in (None, False):
            raise ValidationError.field("redirection", "redirection is no more: list the "
                                        "aliases that redirect in redirect_aliases.")
        for key in ("uri", "profile", "language"):
            if not isinstance(body.get(key, ""), str):
                raise ValidationError.field(key, f"{key} is a string.")
        spec = sites.SiteSpec(
            uri=body.get("uri", ""),
            platform=_id_of(body, "platform_id", Platform, required=True),
            client=_id_of(body, "client_id", Client, required=False),
            profile=body.get("profile", ""),
            language=body.get("language", "en") or "en",
            db_server=_id_of(body, "db_server_id", Server, required=True),
            aliases=aliases["aliases"],
            redirect_aliases=aliases["redirect_aliases"],
        )
        site = sites.create_site(spec, user=_user())
    except ValidationError as error:
        return _invalid(error.errors)
    task = tasks.pending_task(site, "install")
    return jsonify(site=as_dict(site), task=as_dict(task) if task else None), 201


@bp.patch("/servers/<int:object_id>")
def edit_server(object_id: int) -> ResponseReturnValue:
    """Change a server's settings (the fields given; null or "" puts back the default, and an
    absent or empty db_password keeps the stored one); its verify is queued."""
    server = _visible_or_404(Server, object_id)
    if not access.can_change(_user(), server, "edit"):
        abort(404)
    body = _json_object()
    try:
        changes = server_edits.with_changes(server_edits.changes_of(server), body)
        server_edits.update_server(server, changes, user=_user())
    except ValidationError as error:
        return _invalid(error.errors)
    task = tasks.pending_task(server, "verify")
    return jsonify(server=as_dict(server), task=as_dict(task) if task else None)


@bp.put("/sites/<int:entity_id>/https")
def set_site_https(entity_id: int) -> ResponseReturnValue:
    """Set a site's HTTPS: ``{"https": "required", "hsts": true}``; a change queues its verify."""
    if entity_id > MAX_ID:
        abort(404)
    site = access.get_or_404(Site, entity_id, _user(), action="edit")
    body = _json_object()
    hsts = body.get("hsts", False)
    try:
        if not isinstance(hsts, bool):
            raise ValidationError.field("hsts", "hsts is true or false.")
        site_https.set_https(site, body.get("https"), hsts, user=_user())
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        return _invalid(error.errors)
    return jsonify(https_dict(site_https.https_of(site)))


@bp.patch("/sites/<int:site_id>")
def edit_site_aliases(site_id: int) -> ResponseReturnValue:
    """Change a site's aliases: ``aliases`` (served) and ``redirect_aliases``, each left as it
    is when not given; automatic ones are made again and the site's verify is queued."""
    if site_id > MAX_ID:
        abort(404)
    site = access.get_or_404(Site, site_id, _user(), action="edit")
    body = _json_object()
    try:
        if not features.enabled("site_aliases"):
            raise ValidationError.field("aliases", "Site aliases are switched off.")
        sites.update_site(
            site, client=site.client,
            aliases=(_domains(body, "aliases") if "aliases" in body
                     else site_aliases.typed_served(site)),
            redirect_aliases=(_domains(body, "redirect_aliases") if "redirect_aliases" in body
                              else site_aliases.redirected(site)),
            user=_user())
    except ValidationError as error:
        return _invalid(error.errors)
    return jsonify(as_dict(site))


@bp.post("/<any(servers, platforms, sites):collection>/<int:entity_id>/tasks")
def queue_task(collection: str, entity_id: int) -> ResponseReturnValue:
    """Queue a task on a server, platform or site: ``{"type": "backup", "arguments": {...}}``;
    the arguments are those of the task's dialog in the web interface."""
    entity = _visible_or_404(COLLECTIONS[collection], entity_id)
    body = _json_object()
    type_name = body.get("type")
    arguments = body.get("arguments", {})
    if not isinstance(type_name, str) or not isinstance(arguments, dict):
        return _invalid({"type": ["type names a task, e.g. verify; arguments is an object."]})
    try:
        task_type = registry.get(TASK_KINDS[collection], type_name)
    except KeyError:
        return _invalid({"type": [f"There is no {type_name!r} task for a "
                                  f"{TASK_KINDS[collection]}."]})
    if task_type.hidden or not access.may_run(_user(), task_type, entity):
        abort(404)
    try:
        task = tasks.queue(entity, type_name, arguments, user=_user())
    except ValidationError as error:
        return _invalid(error.errors)
    except TaskNotAvailable as refusal:
        return jsonify(error=str(refusal)), 409
    return jsonify(as_dict(task)), 202
