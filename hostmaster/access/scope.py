"""What a user may see and change: the WHERE clauses that narrow each model to the rows the
user may see (sites through their clients, platforms through their client lists, servers for
staff, and what hangs off each), and the checks built on them."""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import Select, and_, exists, false, or_, select

from ..extensions import db
from ..models import (
    Client,
    PackageInstance,
    Platform,
    PlatformStatus,
    Server,
    Site,
    SiteAlias,
    SiteBackup,
    SiteStatistic,
    Task,
    TaskLog,
    platform_clients,
    store_id,
)
from .holders import can, client_ids, current, logged_in


def _model_of(query: Select[Any]) -> Any:
    return query.column_descriptions[0]["entity"]


def _site_condition(user: Any) -> Any:
    if can(user, "administer sites"):
        return None
    ids = client_ids(user)
    if not can(user, "view site") or not ids:
        return false()
    return Site.client_id.in_(ids)


def _platform_condition(user: Any) -> Any:
    if can(user, "administer platforms"):
        return None
    if not can(user, "view platform"):
        return false()
    limited = exists().where(platform_clients.c.platform_id == Platform.id)
    ids = client_ids(user)
    open_to_user = exists().where(platform_clients.c.platform_id == Platform.id,
                                  platform_clients.c.client_id.in_(ids)) if ids else false()
    condition = or_(~limited, open_to_user)
    if not can(user, "view locked platforms"):
        condition = and_(condition, Platform.status != PlatformStatus.LOCKED)
    return condition


def _server_condition(user: Any) -> Any:
    return None if can(user, "view server") or can(user, "administer servers") else false()


def _ids(model: Any, condition: Any) -> Select[Any]:
    query = select(model.id)
    return query if condition is None else query.where(condition)


def _owned_condition(kind_column: Any, id_column: Any, user: Any) -> Any:
    """Rows of (entity kind, entity id) whose entity the user may see."""
    parts = []
    for kind, model, condition in (("site", Site, _site_condition(user)),
                                   ("platform", Platform, _platform_condition(user)),
                                   ("server", Server, _server_condition(user))):
        if condition is None:
            parts.append(kind_column == kind)
        elif condition is not false():
            parts.append(and_(kind_column == kind, id_column.in_(_ids(model, condition))))
    return or_(*parts) if parts else false()


def _task_condition(user: Any) -> Any:
    condition = _task_scope(user)
    if condition is false() or can(user, "administer hosting"):
        return condition
    from ..tasks import registry

    hidden = {t.name for kind in ("server", "platform", "site") for t in registry.types_for(kind)
              if t.administrators_only}  # the doctor's tasks
    shown = Task.type.notin_(sorted(hidden))
    return shown if condition is None else and_(condition, shown)


def _task_scope(user: Any) -> Any:
    if can(user, "administer tasks"):
        return None
    found = logged_in(user)
    if can(user, "view task"):
        return _owned_condition(Task.entity_kind, Task.entity_id, user)
    if can(user, "view own tasks") and found is not None:
        return and_(Task.user_id == found.id,
                    _owned_condition(Task.entity_kind, Task.entity_id, user))
    return false()


def _condition(model: Any, user: Any) -> Any:
    """The WHERE clause (None: every row) that limits ``model`` to what the user may see."""
    if model is Site:
        return _site_condition(user)
    if model is Platform:
        return _platform_condition(user)
    if model is Server:
        return _server_condition(user)
    if model is Task:
        return _task_condition(user)
    if model is TaskLog:
        if not can(user, "access task logs"):
            return false()
        condition = _task_condition(user)
        return None if condition is None else TaskLog.task_id.in_(_ids(Task, condition))
    if model in (SiteBackup, SiteAlias, SiteStatistic):
        condition = _site_condition(user)
        return None if condition is None else model.site_id.in_(_ids(Site, condition))
    if model is PackageInstance:
        if not can(user, "view package"):
            return false()
        return _owned_condition(PackageInstance.owner_kind, PackageInstance.owner_id, user)
    if model is Client:
        if can(user, "administer clients"):
            return None
        ids = client_ids(user)
        return Client.id.in_(ids) if can(user, "view client") and ids else false()
    raise TypeError(f"hostmaster.access does not know who may see a {model.__name__}.")


def visible(query_or_model: Any, model: Any = None, user: Any = None) -> Select[Any]:
    """``query_or_model`` (a select, or a model class) narrowed to the rows the user may see.

    ``model`` names the model whose rows are filtered when the select does not start with it;
    a user given in its place is taken as ``user``. ``user`` defaults to the current user.
    """
    if model is not None and not isinstance(model, type):
        model, user = None, model
    query = select(query_or_model) if isinstance(query_or_model, type) else query_or_model
    model = model or _model_of(query)
    condition = _condition(model, user if user is not None else current())
    return query if condition is None else query.where(condition)


def can_see(user: Any, obj: Any) -> bool:
    """The user may see ``obj`` (one of the models ``visible`` knows)."""
    if obj is None:
        return False
    condition = _condition(type(obj), user)
    if condition is None:
        return True
    if condition is false():
        return False
    model = type(obj)
    key = model.id if hasattr(model, "id") else None
    if key is None:
        return False
    return db.session.scalar(select(key).where(key == obj.id, condition).limit(1)) is not None


_CHANGE_PERMISSION = {Site: "site", Platform: "platform", Server: "server"}


def can_change(user: Any, obj: Any, action: str = "edit") -> bool:
    """The user may ``edit`` or ``delete`` ``obj`` (a site, platform, server or client)."""
    if action not in ("edit", "delete"):
        raise ValueError(f"unknown action {action!r}")
    if isinstance(obj, Client):
        if can(user, "administer clients"):
            return True
        return can(user, f"{action} own client") and obj.id in client_ids(user)
    noun = _CHANGE_PERMISSION.get(type(obj))
    if noun is None:
        return can_see(user, obj)  # backups, aliases: whoever sees the site changes them
    admin = "administer sites" if noun == "site" else f"administer {noun}s"
    if can(user, admin):
        return True
    return can(user, f"{action} {noun}") and can_see(user, obj)


def get_or_404(model: Any, object_id: int, user: Any = None, action: str = "view") -> Any:
    """The ``model`` row ``object_id``; 404 when there is none or the user may not ``action``
    it (``view``, ``edit``, ``delete``; for a task also ``log``)."""
    who = user if user is not None else current()
    found = db.session.get(model, object_id) if store_id(object_id) is not None else None
    if found is None:
        abort(404)
    if action == "view":
        allowed = can_see(who, found)
    elif action == "log":
        from .task_rights import may_see_log

        allowed = may_see_log(who, found)
    else:
        allowed = can_change(who, found, action)
    if not allowed:
        abort(404)
    return found


# --- creating things --------------------------------------------------------------------------

def may_use_platform(user: Any, platform: Platform) -> bool:
    """The user may create a site on ``platform``."""
    if not can_see(user, platform):
        return False
    if platform.status == PlatformStatus.LOCKED:
        return can(user, "create sites on locked platforms")
    return True


def may_use_client(user: Any, client: Client | None) -> bool:
    """The user may make a site of ``client`` (None: a site with no client, staff only)."""
    if can(user, "administer sites") or can(user, "administer clients"):
        return True
    return client is not None and client.id in client_ids(user)
