"""Forms of the task pages: the task list's filter, and the confirm dialogs of task types."""

from __future__ import annotations

import math
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    FloatField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..form_validators import OneLine
from ..models import TaskStatus, store_id


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
        entity_id = store_id(self.entity.data)
        if self.kind.data and entity_id is not None:
            return self.kind.data, entity_id
        return None, None


class TaskForm(FlaskForm):
    """The base of a task's form: its fields are the task's arguments.

    The form is built with the ``entity`` the task runs on, so its choices (a site's backups,
    the platforms it may move to) are that entity's. It is the one set of rules for the
    task's arguments: the confirm dialog shows it, and hostmaster.services.tasks.queue checks
    every task's arguments with it, whoever queues the task (the Run button, the dialog, the
    API, Run again, Hostmaster itself).
    """

    def __init__(self, *args: Any, entity: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The server, platform or site the task runs on (None on a form only shown).
        self.entity = entity

    def arguments(self) -> dict[str, Any]:
        """The task's arguments from the validated form."""
        return {}


class TaskConfirmForm(TaskForm):
    """The confirm dialog of a task that asks nothing but "are you sure?"."""

    submit = SubmitField("Run")


class TaskNoopForm(TaskForm):
    """The no-op's only argument: how long provision waits (hidden; tests and benchmarks)."""

    seconds = FloatField(
        "Seconds",
        validators=[Optional(), NumberRange(min=0, max=86400,
                                            message="Wait from 0 to 86400 seconds.")],
    )

    def validate_seconds(self, field: FloatField) -> None:
        """A finite number (NaN would pass the range)."""
        if field.data is not None and not math.isfinite(field.data):
            raise ValidationError("Wait from 0 to 86400 seconds.")

    def arguments(self) -> dict[str, Any]:
        """``seconds`` when a wait was asked for."""
        return {"seconds": self.seconds.data} if self.seconds.data else {}


class TaskBackupForm(TaskConfirmForm):
    """The backup dialog: an optional description kept with the backup."""

    description = StringField(
        "Description",
        validators=[Length(max=255, message="A description has at most 255 characters."),
                    OneLine()],
        description='Optional; without one the backup is listed as "Generated on request".',
    )

    def arguments(self) -> dict[str, Any]:
        """``description`` when one was given."""
        text = (self.description.data or "").strip()
        return {"description": text} if text else {}


class ServerTrustKeyForm(TaskConfirmForm):
    """Trust host key: the new key's fingerprint, as read on the server itself."""

    fingerprint = StringField(
        "Fingerprint of the new key",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            InputRequired(message="Paste the new key's fingerprint (SHA256:...)."),
            Regexp(r"^SHA256:[A-Za-z0-9+/]{43}$",
                   message="A fingerprint is SHA256: and 43 letters, digits, + or /, as "
                           "`ssh-keygen -lf` prints it."),
        ],
        description="Read it on the server itself: ssh-keygen -lf "
                    "/etc/ssh/ssh_host_ed25519_key.pub. The key is recorded only when the "
                    "server offers exactly this one.",
    )
    submit = SubmitField("Trust this key")

    def arguments(self) -> dict[str, Any]:
        """``fingerprint``."""
        return {"fingerprint": self.fingerprint.data}


class DispatchSettingsForm(FlaskForm):
    """How many tasks may run at once over every dispatcher."""

    concurrency = IntegerField(
        "Tasks running at once",
        validators=[
            InputRequired(message="Give the number of tasks that may run at once."),
            NumberRange(min=1, max=64, message="Give a whole number from 1 to 64."),
        ],
        description="Over all dispatchers together; never two tasks on one entity at once.",
    )
    retention_days = IntegerField(
        "Keep finished tasks for (days)",
        validators=[
            InputRequired(message="Give a number of days (0 keeps finished tasks forever)."),
            NumberRange(min=0, max=3650, message="Give a whole number of days from 0 to 3650."),
        ],
        description="The garbage queue then removes them with their logs, except each "
        "entity's newest task of each type; tasks of deleted sites go in any case.",
    )
    submit = SubmitField("Save")


class OrphanRemoveForm(TaskForm):
    """The one argument of an orphan's removal: the orphan's id in a listing
    (``kind:name``, hostmaster/services/doctor.py); provision finds it again before it acts."""

    orphan = StringField("Orphan", validators=[InputRequired(), Length(max=4096), OneLine()])

    def validate_orphan(self, field: StringField) -> None:
        """``kind:name`` with a name."""
        kind, _, name = str(field.data or "").partition(":")
        if not kind or not name:
            raise ValidationError("Name the orphan as a listing shows it: kind:name.")

    def arguments(self) -> dict[str, Any]:
        """``orphan``."""
        return {"orphan": self.orphan.data}


class TaskUploadedCertificateForm(TaskForm):
    """The uploaded certificate task's arguments: the two files the HTTPS page left in the aegir
    root's ``config/.uploads/`` (hidden: only that page queues it; provision checks both again)."""

    certificate_file = StringField("Certificate file", validators=[
        InputRequired(message="Name the uploaded certificate file."), OneLine()])
    key_file = StringField("Key file", validators=[
        InputRequired(message="Name the uploaded key file."), OneLine()])

    def validate_certificate_file(self, field: StringField) -> None:
        _in_uploads(field.data)

    def validate_key_file(self, field: StringField) -> None:
        _in_uploads(field.data)

    def arguments(self) -> dict[str, Any]:
        return {"certificate_file": self.certificate_file.data, "key_file": self.key_file.data}


def _in_uploads(value: Any) -> None:
    from pathlib import Path

    from flask import current_app

    from provision.tls.site_tls import UPLOADS

    folder = (Path(current_app.config["AEGIR_ROOT"]) / UPLOADS).resolve()
    if not Path(str(value or "")).resolve().is_relative_to(folder):
        raise ValidationError("Upload the certificate through the site's HTTPS page.")
