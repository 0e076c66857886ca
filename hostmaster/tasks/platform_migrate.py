"""The platform task "Migrate sites": move every enabled site of a platform to another one.

Its dialog (hostmaster/platforms/migrate_views.py) chooses the target, shows each site's
package comparison, and queues one site ``migrate`` task per site that passes; the platform's
task is recorded there, finished, as the list of what was queued and what stayed. Run again
on that record queues it for the dispatcher, which runs provision's no-op and then queues the
sites' tasks the same way.
"""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import InputRequired

from ..extensions import db
from ..models import Platform, Task, TaskStatus
from ..services import platform_migration, tasks
from ..services.errors import TaskNotAvailable
from .forms import TaskForm
from .registry import TaskType


class PlatformMigrateForm(TaskForm):
    """Step one chooses the target platform; step two (``reviewed``) confirms the site list."""

    target_platform = RadioField(
        "Target platform",
        coerce=int,
        validators=[InputRequired(message="Choose the platform the sites move to.")],
        description="An enabled platform of the same application on the same web server.",
    )
    reviewed = HiddenField(default="")
    submit = SubmitField("Compare")

    def __init__(self, targets: list[Platform] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if targets is None and isinstance(self.entity, Platform):
            targets = platform_migration.targets_for(self.entity)
        self.target_platform.choices = [
            (p.id, f"{p.name} ({p.application} {p.version})") for p in targets or []
        ]

    def arguments(self) -> dict[str, Any]:
        """The platform task's arguments: the chosen target."""
        return {"target_platform": self.target_platform.data}


def _refusal(platform: Platform) -> str | None:
    if not platform_migration.migratable_sites(platform):
        return f"{platform.name} has no enabled, verified sites to migrate."
    return None


def _queue_sites(task: Task, platform: Platform, result: dict[str, Any]) -> None:
    """Run again: queue the sites' migrate tasks now, logging each on the platform's task."""
    target_id = (task.arguments or {}).get("target_platform")
    target = db.session.get(Platform, target_id) if isinstance(target_id, int) else None
    try:
        if target is None:
            raise TaskNotAvailable("The target platform of this task no longer exists.")
        queued = platform_migration.queue_site_migrations(task, platform, target, task.user)
    except TaskNotAvailable as refusal:
        tasks.add_log(task, "error", str(refusal))
        task.status = TaskStatus.ERROR
        return
    if not queued:
        tasks.add_log(task, "error",
                      f"None of the sites of {platform.name} can move to {target.name}.")
        task.status = TaskStatus.ERROR


TASK_TYPES = [
    TaskType(
        entity_kind="platform",
        name="migrate",
        title="Migrate sites",
        command="noop",
        description="Move every enabled site of the platform to another platform.",
        form=PlatformMigrateForm,
        dialog="platform_migrate.confirm",
        feature="migrate",
        refusal=_refusal,
        on_success=_queue_sites,
    ),
]
