"""Who may see and do what: the one package that decides access.

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
- ``COMMAND_LINE``: the viewer of the ``hostmaster`` command line, which holds every permission
  (whoever runs it can read and write the store itself).

The package is split by responsibility: ``catalogue`` (permissions, roles, default grants),
``holders`` (who holds which permission; pages of optional features), ``scope`` (which rows a
user may see and change) and ``task_rights`` (queueing tasks and the task page's buttons).
Callers import this package only.
"""

from .catalogue import (
    ADMINISTRATOR,
    ANONYMOUS,
    CLIENT_TASKS,
    DEFAULT_GRANTS,
    PERMISSIONS,
    PLATFORM_TASKS,
    ROLES,
    Permission,
    permission_names,
    permissions,
    task_permission,
    task_permissions,
)
from .holders import (
    COMMAND_LINE,
    FEATURE_PAGES,
    can,
    client_ids,
    feature_of,
    is_administrator,
    refuse_pages_of_off_features,
    require,
    require_feature,
)
from .scope import can_change, can_see, get_or_404, may_use_client, may_use_platform, visible
from .task_rights import (
    may_cancel,
    may_retry,
    may_run,
    may_see_log,
    may_see_task,
    may_update_status,
    visible_tasks,
)

__all__ = [
    "ADMINISTRATOR", "ANONYMOUS", "CLIENT_TASKS", "COMMAND_LINE", "DEFAULT_GRANTS",
    "FEATURE_PAGES", "PERMISSIONS",
    "PLATFORM_TASKS", "ROLES", "Permission", "can", "can_change", "can_see", "client_ids",
    "feature_of", "get_or_404", "is_administrator", "may_cancel", "may_retry", "may_run",
    "may_see_log", "may_see_task", "may_update_status", "may_use_client", "may_use_platform",
    "permission_names", "permissions", "refuse_pages_of_off_features", "require",
    "require_feature", "task_permission", "task_permissions", "visible", "visible_tasks",
]
