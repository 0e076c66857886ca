"""One command per task type of a server, platform or site, built from the task type registry
(``hostmaster site migrate example.com --platform d7``), so that plugins' task types get theirs.

A task's options are the fields of its confirm dialog: the form checks them exactly as it does
for the panel and the API (with the dialog's own URL, so its choices are this entity's), and
``services.tasks.queue`` queues the task under the same availability rules. Entity fields take
names (``--platform d7``, ``--db-server db1.example.com``, ``--backup 12`` or a file name).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from flask.cli import with_appcontext
from wtforms import BooleanField, SelectMultipleField
from wtforms.fields.core import UnboundField

from ..api.serialize import as_dict
from ..models import Entity, Task
from ..services import tasks
from ..services.errors import TaskNotAvailable, ValidationError
from ..tasks import registry
from . import lookup
from .base import NounCommand, NounGroup
from .follow import follow, report, task_title, wait_options
from .output import Refused, emit, output_options

#: Form fields that are not arguments.
NOT_ARGUMENTS = ("submit", "csrf_token")


@dataclass(frozen=True)
class ArgumentOption:
    """How the command line gives one form field: its option, how a name becomes the form's
    value, and the value the field keeps when the option is left out."""

    flag: str
    metavar: str
    help: str
    resolve: Callable[[Any, str], Any] | None = None
    current: Callable[[Any], Any] | None = None


ARGUMENT_OPTIONS: dict[str, ArgumentOption] = {
    "target_platform": ArgumentOption(
        "--platform", "PLATFORM", "The platform the site goes to (name or id; default: its own).",
        lambda site, word: lookup.platform(word).id, lambda site: site.platform_id),
    "target_db_server": ArgumentOption(
        "--db-server", "SERVER",
        "The server of the site's database (host name or id; default: its own).",
        lambda site, word: lookup.server(word).id, lambda site: site.db_server_id),
    "new_uri": ArgumentOption(
        "--domain", "DOMAIN",
        "The site's domain afterwards (migrate: default unchanged; clone: the copy's domain).",
        None, lambda site: site.uri),
    "backup_id": ArgumentOption(
        "--backup", "BACKUP", "The backup (its id or file name; `hostmaster backup list SITE`).",
        lambda site, word: lookup.backup(site, word).id),
    "backup_ids": ArgumentOption(
        "--backup", "BACKUP", "A backup (id or file name); repeat the option for several.",
        lambda site, word: lookup.backup(site, word).id),
}


def form_fields(task_type: registry.TaskType) -> list[tuple[str, UnboundField]]:
    """The argument fields of the task's dialog form, in declaration order."""
    if task_type.form is None:
        return []
    found = [(name, value) for name in dir(task_type.form)
             if isinstance(value := getattr(task_type.form, name, None), UnboundField)
             and name not in NOT_ARGUMENTS]
    return sorted(found, key=lambda item: item[1].creation_counter)


def _is_many(field: UnboundField) -> bool:
    return issubclass(field.field_class, SelectMultipleField)


def _option_for(name: str, field: UnboundField) -> click.Option:
    """The option of one form field: from ARGUMENT_OPTIONS, else ``--field-name``."""
    known = ARGUMENT_OPTIONS.get(name)
    if known is not None:
        return click.Option([known.flag, name], metavar=known.metavar, help=known.help,
                            multiple=_is_many(field))
    label = str(field.args[0]) if field.args else name.replace("_", " ").capitalize()
    description = str(field.kwargs.get("description") or "")
    text = f"{label}. {description}".strip() if description else label
    flag = "--" + name.replace("_", "-")
    if issubclass(field.field_class, BooleanField):
        return click.Option([flag, name], is_flag=True, help=text)
    return click.Option([flag, name], help=text, multiple=_is_many(field))


def _form_data(entity: Entity, task_type: registry.TaskType,
               given: dict[str, Any]) -> dict[str, list[str]]:
    """The dialog's form data from the options given (names resolved, defaults filled in)."""
    data: dict[str, list[str]] = {}
    for name, field in form_fields(task_type):
        known = ARGUMENT_OPTIONS.get(name)
        value = given.get(name)
        values = list(value) if isinstance(value, tuple | list) else (
            [] if value in (None, False) else [value])
        if known is not None and known.resolve is not None:
            values = [known.resolve(entity, str(word)) for word in values]
        if not values and known is not None and known.current is not None:
            current = known.current(entity)
            values = [] if current is None else [current]
        if issubclass(field.field_class, BooleanField):
            values = ["y"] if values else []
        if values:
            data[name] = [str(item) for item in values]
    return data


def _flag(name: str) -> str:
    """The command-line option of a form field."""
    known = ARGUMENT_OPTIONS.get(name)
    return known.flag if known is not None else "--" + name.replace("_", "-")


def queue_task(entity: Entity, type_name: str, given: dict[str, Any]) -> Task:
    """Queue ``type_name`` on ``entity`` with the options given, through the one queue the
    panel uses; Refused with the panel's sentences (by option) when the task may not run now
    or its arguments are not valid."""
    try:
        task_type = registry.get(entity.entity_kind, type_name)
    except KeyError:
        raise Refused(f"There is no {type_name!r} task for a {entity.entity_kind}.") from None
    problem = tasks.why_unavailable(entity, type_name)  # before the options name anything
    if problem:
        raise Refused(problem)
    try:
        return tasks.queue(entity, type_name, _form_data(entity, task_type, given))
    except TaskNotAvailable as refusal:
        raise Refused(str(refusal)) from None
    except ValidationError as error:
        sentences = [f"{_flag(name)}: {message}" if name else message
                     for name, messages in error.errors.items() for message in messages]
        raise Refused(" ".join(sentences) or "The task's arguments are not valid.",
                      {key: list(value) for key, value in error.errors.items()}) from None


def answer_queued(task: Task, *, wait: bool, dispatch: bool) -> None:
    """Say what was queued (the task's JSON object with --json); with --wait (or --dispatch)
    follow it and exit as it ended."""
    if not (wait or dispatch):
        emit(as_dict(task), f"{task_title(task)} is queued as task #{task.id}.")
        return
    report(follow(task, dispatch=dispatch))


def offered_tasks(entity: Entity) -> list[str]:
    """Lines saying which tasks the entity offers now, and why each other one is not."""
    rows = tasks.available_tasks(entity)
    lines = ["Tasks:"]
    for task_type, last, reason in rows:
        ran = f" (last: #{last.id} {last.status.name.lower()})" if last is not None else ""
        state = "available" if reason is None else f"not now: {reason}"
        lines.append(f"  {task_type.name:<14} {state}{ran}")
    return lines if rows else ["Tasks: none."]


def _run(kind: str, type_name: str, entity_word: str, wait: bool, dispatch: bool,
         **given: Any) -> None:
    finders: dict[str, Callable[[str], Entity]] = {
        "site": lookup.site, "platform": lookup.platform, "server": lookup.server}
    entity = finders[kind](entity_word)
    task = queue_task(entity, type_name, given)
    answer_queued(task, wait=wait, dispatch=dispatch)


def task_command(kind: str, task_type: registry.TaskType) -> click.Command:
    """The command that queues ``task_type`` on a ``kind``."""
    callback = functools.partial(_run, kind, task_type.name)
    params: list[click.Parameter] = [click.Argument(["entity_word"], metavar=kind.upper())]
    params += [_option_for(name, field) for name, field in form_fields(task_type)]
    command = NounCommand(
        task_type.name,
        params=params,
        callback=with_appcontext(callback),
        help=f"{task_type.title}: {task_type.description}\n\nQueues the task (the same rules "
             f"and checks as the panel's {task_type.title} button).",
        short_help=task_type.description,
    )
    wait_options(output_options(command))
    return command


class EntityGroup(NounGroup):
    """A noun whose entities have tasks: its own commands, then one per visible task type."""

    def __init__(self, name: str, kind: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.kind = kind

    def _task_types(self) -> dict[str, registry.TaskType]:
        return {t.name: t for t in registry.types_for(self.kind)
                if not t.hidden and t.name not in self.commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The noun's own commands and its task types, by name."""
        return sorted([*self.commands, *self._task_types()])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """An own command, else the task type's command."""
        own = super().get_command(ctx, cmd_name)
        if own is not None:
            return own
        task_type = self._task_types().get(cmd_name)
        return task_command(self.kind, task_type) if task_type is not None else None
