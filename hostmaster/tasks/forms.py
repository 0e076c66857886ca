"""Forms of the task pages: the task list's filter, and the confirm dialogs of task types."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length

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


class TaskConfirmForm(FlaskForm):
    """The confirm dialog of a task that asks nothing but "are you sure?"."""

    submit = SubmitField("Run")

    def arguments(self) -> dict[str, Any]:
        """The task's arguments from the dialog (none here)."""
        return {}


class TaskBackupForm(TaskConfirmForm):
    """The backup dialog: an optional description kept with the backup."""

    description = StringField(
        "Description",
        validators=[Length(max=255, message="A description has at most 255 characters.")],
        description='Optional; without one the backup is listed as "Generated on request".',
    )

    def arguments(self) -> dict[str, Any]:
        """``description`` when one was given."""
        text = (self.description.data or "").strip()
        return {"description": text} if text else {}
