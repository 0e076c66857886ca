"""What every page shares: template filters, the sidebar's Queues block, error pages,
security headers, and the step that puts a service's ValidationError beside form fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from . import access
from .extensions import db
from .services import dispatch_control, features, servers, site_https, task_queries, tasks
from .services.errors import ValidationError
from .services.transaction import COLLISION

# Only the app's own files: no inline script, no third-party resources, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
QUEUE_BLOCK_SIZE = 5


class CompiledTemplates(BytecodeCache):
    """The templates' compiled code, kept for the life of the process: each app made in it
    (the tests make one per test, as ``hostmaster`` commands and gunicorn workers make their
    own) compiles a template once. Jinja compares each template's source with the checksum
    kept beside its code, so an edited template is compiled again. The key holds no Jinja
    option: every app has those of ``register_template_helpers``."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def register_template_helpers(app: Flask) -> None:
    """Install the filters, globals, sidebar context, error pages and headers of the UI."""
    app.jinja_env.add_extension("jinja2.ext.do")  # the form macros build attribute lists
    app.jinja_env.trim_blocks = True  # block tags leave no blank lines in the HTML
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.add_template_filter(format_time, "time")
    app.add_template_filter(format_duration, "duration")
    app.add_template_filter(format_size, "filesize")
    app.add_template_global(entity_url)
    app.add_template_global(task_queries.type_title, "task_title")
    app.add_template_global(may, "may")
    app.add_template_global(may_see, "may_see")
    app.add_template_global(feature_on, "feature_on")
    app.add_template_global(servers.ssh_login, "ssh_login")
    app.add_template_global(site_https.https_of, "site_https_of")
    app.context_processor(queues_block)
    app.after_request(security_headers)
    app.register_error_handler(CSRFError, csrf_refused)
    app.register_error_handler(IntegrityError, store_conflict)
    app.register_error_handler(404, error_page)
    app.register_error_handler(405, error_page)


def format_time(value: datetime | None, empty: str = "never") -> str:
    """A stored (UTC) time as "2025-11-22 14:03", or ``empty`` when there is none."""
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else empty


def format_duration(seconds: float | None) -> str:
    """Seconds as "0.4 s", "12 s", "3 min 4 s" or "2 h 5 min"; an en dash when unknown."""
    if seconds is None:
        return "–"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def format_size(size: int | None) -> str:
    """Bytes as "812 B", "4.2 KB", "17.0 MB" or "1.3 GB"."""
    value = float(size or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def may(permission: str) -> bool:
    """Templates: the current user holds ``permission`` (hostmaster/access/ decides)."""
    return access.can(current_user, permission)


def may_see(obj: Any) -> bool:
    """Templates: the current user may open ``obj``'s page (a link to it would not 404)."""
    return access.can_see(current_user, obj)


def feature_on(name: str) -> bool:
    """Templates: feature ``name`` is switched on."""
    return features.enabled(name)


def entity_url(kind: str, entity_id: int) -> str:
    """The page of a server, platform or site."""
    return url_for(f"{kind}s.show", entity_id=entity_id)


def queues_block() -> dict[str, Any]:
    """The sidebar's data for logged-in pages: the newest tasks and the count of each status."""
    if not current_user.is_authenticated:
        return {}
    recent = tasks.recent(QUEUE_BLOCK_SIZE, viewer=current_user)
    return {
        "queue_tasks": recent,
        "queue_titles": task_queries.entity_titles(recent),
        "queue_counts": task_queries.status_counts(viewer=current_user),
        "dispatch_state": dispatch_control.state(end_read=False),
    }


def apply_errors(
    form: FlaskForm, error: ValidationError, fields: Mapping[str, str] | None = None
) -> None:
    """Show a service's per-field messages beside the form's fields.

    ``fields`` maps a service's error key to the form field that should carry it when the names
    differ; messages for keys the form has no field for become form-level errors.
    """
    for key, messages in error.errors.items():
        name = (fields or {}).get(key, key)
        field = form._fields.get(name) if name else None
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages]


def local_target(target: str | None) -> str | None:
    """``target`` when it is a path on this site (safe to redirect to after login), else None."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return None
    return target


def security_headers(response: Response) -> Response:
    """Headers that keep pages from being framed, sniffed or fed foreign scripts."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


ERROR_SENTENCES = {
    404: "There is nothing here. Check the address, or go back to the list you came from.",
    405: "This address does not accept that kind of request. Use the buttons on the page.",
}


def error_page(error: HTTPException) -> tuple[str, int]:
    """A page in the site's layout for 404 and 405, with a sentence saying what to do."""
    code = error.code or 500
    sentence = ERROR_SENTENCES.get(code, "Something went wrong. Go back and try again.")
    return render_template("errors/error.html", code=code, sentence=sentence), code


def store_conflict(error: IntegrityError) -> ResponseReturnValue:
    """The last guard for a unique value taken by another request at the same moment, where
    no service said it more precisely (services/transaction.py): roll back, say so (409),
    never a server error."""
    db.session.rollback()
    current_app.logger.warning("Conflict on %s: %s", request.path, error.orig)
    if request.path.startswith("/api/"):
        return jsonify(error=COLLISION), 409
    return render_template("errors/error.html", code=409, sentence=COLLISION), 409


def csrf_refused(error: CSRFError) -> tuple[str, int]:
    """A refused form (missing or stale CSRF token): nothing was changed; say how to retry."""
    sentence = (
        "The form was refused because its security token was missing or out of date, so "
        "nothing was changed. Go back, reload the page and submit the form again."
    )
    return render_template("errors/error.html", code=400, sentence=sentence), 400
