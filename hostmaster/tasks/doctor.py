"""The doctor's server tasks (hostmaster/services/doctor.py): list the orphans of a server, and
remove one. Hidden (no Run button, no ``create ... task`` permission) and shown to
administrators only: the doctor page and ``hostmaster doctor`` queue them."""

from __future__ import annotations

from typing import Any

from ..models import Server, Task
from .forms import OrphanRemoveForm
from .registry import TaskType


def _known(task: Task, _server: Server) -> dict[str, Any]:
    from ..services.doctor import known_records

    return {"known": known_records(task)}


TASK_TYPES = [
    TaskType(
        entity_kind="server",
        name="orphans",
        title="List orphans",
        command="orphans",
        description="Find the databases, users, site folders, vhosts, contexts and backup "
        "archives on the server that no record owns; changes nothing.",
        hidden=True,
        administrators_only=True,
        options=_known,
    ),
    TaskType(
        entity_kind="server",
        name="orphan-remove",
        title="Remove an orphan",
        command="orphan-remove",
        description="Remove one orphan an administrator confirmed, once provision has found it "
        "again.",
        hidden=True,
        administrators_only=True,
        allow_duplicates=True,
        form=OrphanRemoveForm,
        options=_known,
    ),
]
