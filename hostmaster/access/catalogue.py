"""The catalogue of permissions: their names (after the original's), the built-in roles and
the grants each role starts with. Task permissions (``create <type> task``) come from the task
type registry, so task types added later (and plugins') get theirs automatically."""

from __future__ import annotations

from dataclasses import dataclass

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
    Permission("hosting", "administer users", "The users list; set or reset anyone's password."),
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
    from ..tasks import registry

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
