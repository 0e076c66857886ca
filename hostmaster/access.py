"""Who may see and do what: the one module that decides access.

Views, forms, services and the API ask this module; nothing else looks at roles. Users get
permissions (names after the original's, e.g. ``view site``, ``create backup task``, ``access
task logs``) from their roles; the grants are stored in ``role_permission`` and edited on the
Administration → Permissions page. The ``administrator`` role always holds every permission,
so nobody can lock the panel's administrators out. Visitors who are not logged in hold the
permissions of the ``anonymous`` role (by default only ``access hosting signup form``).

Besides permissions, objects are scoped: a user sees a site (and its tasks, logs, backups,
aliases and packages) only through a client the user belongs to, unless the user may
``administer sites``; a platform limited to some clients is seen only by their users (unless
``administer platforms``), a locked one only with ``view locked platforms``; servers are for
staff (``view server``). Whatever a user may not see answers 404, as if it did not exist.

API (``user`` is a User, Flask-Login's anonymous user, or None for "nobody logged in"):

- ``can(user, permission) -> bool``: the user holds the permission.
- ``require(permission, user=None)``: abort 404 unless ``can`` (``user`` defaults to the
  current user). ``require_feature(name)``: abort 404 while feature ``name`` is off.
- ``FEATURE_PAGES``: pages that answer 404 while their feature is off (add yours there).
- ``client_ids(user) -> set[int]``: the clients the user acts for.
- ``visible(query_or_model, model=None, user=None) -> Select``: a select (or a model class)
  narrowed to the rows the user may see. Knows Site, Platform, Server, Task, TaskLog,
  SiteBackup, SiteAlias, SiteStatistic, PackageInstance and Client. Call it as
  ``visible(select(Site), Site, user)`` or ``visible(Site, user=user)``.
- ``can_see(user, obj) -> bool``; ``can_change(user, obj, action="edit") -> bool`` with action
  ``edit`` or ``delete``, for the same models.
- ``get_or_404(model, id, user=None, action="view")``: the object, or 404 when it does not
  exist or the user may not see it (``action``: ``view``, ``edit``, ``delete``, ``log``).
- ``may_run(user, task_type, entity) -> bool``: the user may queue ``task_type`` (a TaskType
  or a type name) on ``entity``: it needs ``create <type> task`` and, on a site, view access;
  on a platform or server, edit access. Task permissions come from the task type registry,
  so task types added later (and plugins') get theirs automatically.
- ``visible_tasks(tasks, user)``: the tasks of a short list the user may see.
- ``may_see_log(user, task)``, ``may_cancel(user, task)``, ``may_retry(user, task)``,
  ``may_update_status(user, task)``: the task page's buttons.
- ``may_use_platform(user, platform)``: may create a site on it; ``may_use_client(user,
  client)``: may make a site of that client.
- ``PERMISSIONS``, ``permission_names()``, ``ROLES``, ``DEFAULT_GRANTS``: the catalogue, the
  built-in roles and the grants they start with (hostmaster/services/permissions.py stores
  them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import abort, has_request_context
from sqlalchemy import Select, and_, exists, false, or_, select

from .extensions import db
from .models import (
    Client,
    ClientUser,
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
    User,
    platform_clients,
    store_id,
)

if TYPE_CHECKING:
    from .tasks.registry import TaskType

ADMINISTRATOR = "administrator"
ANONYMOUS = "anonymous"
ROLES = ("client", "account manager", "platform manager", ADMINISTRATOR, ANONYMOUS)


@dataclass(frozen=True)
class Permission:
    """One permission: its area on the grid, its name, and what it allows."""

    area: str
    name: str
    description: str = ""


_FIXED: tuple[Permission, ...] = (
    Permission("hosting", "administer hosting", "Grant permissions; every administration page."),
    Permission("hosting", "administer hosting features", "Switch features on and off."),
    Permission("hosting", "administer hosting queues", "The queues and the dispatcher."),
    Permission("hosting", "administer hosting settings", "Client, sign-up and other settings."),
    Permission("hosting", "access hosting signup form", "Sign up for a client and a site."),
    Permission("site", "create site"),
    Permission("site", "view site", "Sites of one's own clients."),
    Permission("site", "edit site", "Sites of one's own clients."),
    Permission("site", "delete site", "Sites of one's own clients."),
    Permission("site", "administer sites", "Every site, whatever its client."),
    Permission("site", "create site aliases"),
    Permission("platform", "create platform"),
    Permission("platform", "view platform", "Platforms open to one's clients."),
    Permission("platform", "edit platform"),
    Permission("platform", "delete platform"),
    Permission("platform", "administer platforms", "Every platform, whatever its clients."),
    Permission("platform", "view locked platforms"),
    Permission("platform", "create sites on locked platforms"),
    Permission("server", "create server"),
    Permission("server", "view server"),
    Permission("server", "edit server"),
    Permission("server", "delete server"),
    Permission("server", "administer servers"),
    Permission("tasks", "administer tasks", "Every task; the dispatcher's page."),
    Permission("tasks", "view task", "Tasks of what one may see."),
    Permission("tasks", "view own tasks", "Tasks one queued oneself."),
    Permission("tasks", "access task logs"),
    Permission("tasks", "retry failed tasks"),
    Permission("tasks", "cancel own tasks"),
    Permission("tasks", "update status of tasks"),
    Permission("client", "create client"),
    Permission("client", "view client", "One's own clients."),
    Permission("client", "edit own client"),
    Permission("client", "delete own client"),
    Permission("client", "administer clients", "Every client."),
    Permission("client", "edit client users"),
    Permission("client", "edit client uname"),
    Permission("package", "view package"),
)

#: What a client may do to its own sites (the original's aegir client defaults).
CLIENT_TASKS = ("backup", "restore", "disable", "enable", "delete", "verify", "login-reset",
                "backup-delete", "migrate", "clone")
#: Platform and server work (the original's platform manager defaults).
PLATFORM_TASKS = ("verify", "lock", "unlock", "delete", "migrate")

DEFAULT_GRANTS: dict[str, tuple[str, ...]] = {
    "client": (
        "create site", "view site", "edit site", "delete site", "create site aliases",
        "view platform", "view client", "edit own client", "view package", "view task",
        "view own tasks", "access task logs", "cancel own tasks", "retry failed tasks",
        *(f"create {name} task" for name in CLIENT_TASKS),
    ),
    "account manager": (
        "create client", "view client", "edit own client", "administer clients",
        "edit client users", "edit client uname", "view platform", "view task",
        "access task logs",
    ),
    "platform manager": (
        "create platform", "view platform", "edit platform", "delete platform",
        "administer platforms", "view locked platforms", "create sites on locked platforms",
        "view server", "view package", "view task", "view own tasks", "access task logs",
        "cancel own tasks", "retry failed tasks",
        *(f"create {name} task" for name in PLATFORM_TASKS),
    ),
    ANONYMOUS: ("access hosting signup form",),
}


def task_permission(type_name: str) -> str:
    """The permission that queues tasks of type ``type_name``."""
    return f"create {type_name} task"


def task_permissions() -> list[Permission]:
    """One ``create <type> task`` permission per task type a person can queue."""
    from .tasks import registry

    names = sorted({t.name for kind in ("server", "platform", "site")
                    for t in registry.types_for(kind) if not t.hidden})
    return [Permission("tasks", task_permission(name), f"Queue {name} tasks.")
            for name in names]


def permissions() -> list[Permission]:
    """Every permission: the fixed ones, then one per task type."""
    return [*_FIXED, *task_permissions()]


def permission_names() -> set[str]:
    """The names of every permission."""
    return {p.name for p in permissions()}


PERMISSIONS = _FIXED  # the fixed part of the catalogue; permissions() adds the task types


# --- who holds what ---------------------------------------------------------------------------

def _user(user: Any) -> User | None:
    """The logged-in User behind ``user`` (a LocalProxy, an anonymous user, None)."""
    if user is None:
        return None
    if hasattr(user, "_get_current_object"):
        user = user._get_current_object()
    return user if isinstance(user, User) and user.is_active else None


def _current() -> Any:
    from flask_login import current_user

    return current_user if has_request_context() else None


def _anonymous_grants() -> set[str]:
    from .models import Role

    role = db.session.scalar(select(Role).where(Role.name == ANONYMOUS))
    if role is None:  # never stored (a store made before roles were seeded): the defaults
        return set(DEFAULT_GRANTS[ANONYMOUS])
    return {grant.permission for grant in role.permissions}


def is_administrator(user: Any) -> bool:
    """The user holds the administrator role (and so every permission)."""
    found = _user(user)
    return found is not None and any(role.name == ADMINISTRATOR for role in found.roles)


def can(user: Any, permission: str) -> bool:
    """The user (or, for None and anonymous visitors, the anonymous role) holds ``permission``."""
    found = _user(user)
    if found is None:
        return permission in _anonymous_grants()
    if is_administrator(found):
        return True
    return any(grant.permission == permission for role in found.roles
               for grant in role.permissions)


def require(permission: str, user: Any = None) -> None:
    """Abort with 404 unless the user (the current one by default) holds ``permission``."""
    if not can(user if user is not None else _current(), permission):
        abort(404)


def require_feature(name: str) -> None:
    """Abort with 404 while feature ``name`` is switched off."""
    from .services import features

    if not features.enabled(name):
        abort(404)


def client_ids(user: Any) -> set[int]:
    """The ids of the clients the user acts for."""
    found = _user(user)
    if found is None:
        return set()
    return set(db.session.scalars(select(ClientUser.client_id).where(
        ClientUser.user_id == found.id)))


# --- pages of optional features -----------------------------------------------------------------

#: The pages that belong to a feature: an endpoint, or a blueprint name and a dot, → feature.
FEATURE_PAGES: dict[str, str] = {
    "clients.": "clients",
    "signup.": "signup",
    "sites.compare": "migrate",
    "platform_migrate.": "migrate",
    "platforms.clients": "clients",
}


def feature_of(endpoint: str | None) -> str | None:
    """The feature the page ``endpoint`` belongs to, if any."""
    if not endpoint:
        return None
    for prefix, feature in FEATURE_PAGES.items():
        if endpoint == prefix or (prefix.endswith(".") and endpoint.startswith(prefix)):
            return feature
    return None


def refuse_pages_of_off_features() -> None:
    """Before every request: 404 for a page whose feature is switched off."""
    from flask import request

    feature = feature_of(request.endpoint)
    if feature is not None:
        require_feature(feature)


# --- what a user may see ----------------------------------------------------------------------

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
    if can(user, "administer tasks"):
        return None
    found = _user(user)
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
    condition = _condition(model, user if user is not None else _current())
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
    who = user if user is not None else _current()
    found = db.session.get(model, object_id) if store_id(object_id) is not None else None
    if found is None:
        abort(404)
    if action == "view":
        allowed = can_see(who, found)
    elif action == "log":
        allowed = may_see_log(who, found)
    else:
        allowed = can_change(who, found, action)
    if not allowed:
        abort(404)
    return found


# --- tasks ------------------------------------------------------------------------------------

def may_run(user: Any, task_type: TaskType | str, entity: Any) -> bool:
    """The user may queue ``task_type`` on ``entity`` (whether the entity's state allows it now
    is hostmaster/services/tasks.py's ``why_unavailable``)."""
    from .services import features
    from .tasks import registry

    if isinstance(task_type, str):
        try:
            task_type = registry.get(entity.entity_kind, task_type)
        except KeyError:
            return False
    if task_type.hidden or not can(user, task_permission(task_type.name)):
        return False
    feature = getattr(task_type, "feature", "")
    if feature and not features.enabled(feature):
        return False
    if isinstance(entity, Site):
        return can_see(user, entity)
    return can_change(user, entity, "edit")


def visible_tasks(found: Iterable[Task], user: Any) -> list[Task]:
    """The tasks of ``found`` the user may see (for short lists such as an entity's
    history; long lists filter their query with ``visible``)."""
    if can(user, "administer tasks"):
        return list(found)
    return [task for task in found if can_see(user, task)]


def may_see_task(user: Any, task: Task) -> bool:
    """The user may see ``task`` (its page, not its log)."""
    return can_see(user, task)


def may_see_log(user: Any, task: Task) -> bool:
    """The user may read ``task``'s log."""
    return can(user, "access task logs") and can_see(user, task)


def may_cancel(user: Any, task: Task) -> bool:
    """The user may cancel ``task``: any task with ``administer tasks``, else their own."""
    if not can_see(user, task):
        return False
    if can(user, "administer tasks"):
        return True
    found = _user(user)
    return can(user, "cancel own tasks") and found is not None and task.user_id == found.id


def may_retry(user: Any, task: Task) -> bool:
    """The user may run ``task`` again (as a new task)."""
    from .services import tasks

    entity = tasks.entity_of(task)
    if entity is None or not can_see(user, task):
        return False
    if not (can(user, "administer tasks") or can(user, "retry failed tasks")):
        return False
    return may_run(user, task.type, entity)


def may_update_status(user: Any, task: Task) -> bool:
    """The user may recompute ``task``'s status from its log."""
    return can_see(user, task) and (can(user, "administer tasks")
                                    or can(user, "update status of tasks"))


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
