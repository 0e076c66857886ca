"""The task list's filter form (a GET form: it changes nothing, so it carries no CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField

from ..models import TaskStatus


class TaskFilterForm(FlaskForm):
    """Which tasks the list shows: one status or all, optionally of one entity."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[SelectChoice("", "All statuses")]
        + [SelectChoice(s.name.lower(), s.name.title()) for s in TaskStatus],
        default="",
    )
    kind = HiddenField()
    entity = HiddenField()

    def selected_status(self) -> TaskStatus | None:
        """The chosen status, or None for all (an unknown name also means all)."""
        name = (self.status.data or "").upper()
        return TaskStatus[name] if name in TaskStatus.__members__ else None

    def selected_entity(self) -> tuple[str, int] | tuple[None, None]:
        """The (kind, id) whose tasks are wanted, or (None, None) for every entity."""
        entity_id = self.entity.data or ""
        if self.kind.data and entity_id.isdigit():
            return self.kind.data, int(entity_id)
        return None, None
