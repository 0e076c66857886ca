"""Tasks: who may queue a task type on an entity, and the task page's buttons (see its log,
cancel, run again, update the status)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..models import Site, Task
from .catalogue import task_permission
from .holders import can, logged_in
from .scope import can_change, can_see

if TYPE_CHECKING:
    from ..tasks.registry import TaskType


def may_run(user: Any, task_type: TaskType | str, entity: Any) -> bool:
    """The user may queue ``task_type`` on ``entity`` (whether the entity's state allows it now
    is hostmaster/services/tasks.py's ``why_unavailable``)."""
    from ..services import features
    from ..tasks import registry

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
    found = logged_in(user)
    return can(user, "cancel own tasks") and found is not None and task.user_id == found.id


def may_retry(user: Any, task: Task) -> bool:
    """The user may run ``task`` again (as a new task)."""
    from ..services import tasks

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
