"""How the command line answers: a table or sentences for people, the REST API's JSON objects
for scripts (``--json``), errors as sentences, and exit codes that mean something.

Exit codes:

====  ===========================================================================================
0     done (a task followed with ``--wait`` ended in success)
1     refused: bad input, an unknown name, a task that may not run now, a store that is missing
      or cannot be reached; nothing was changed
2     the task ran and failed (its log says why)
3     the task ended with warnings (its work is done; its log says what to look at)
4     hostmaster itself failed unexpectedly (a bug: ``--debug`` shows the traceback)
130   stopped with Ctrl-C; a task being followed goes on
====  ===========================================================================================
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import IO, Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    """The exit codes of the ``hostmaster`` command (see the module's docstring)."""

    DONE = 0
    REFUSED = 1
    TASK_FAILED = 2
    TASK_WARNING = 3
    FAULT = 4
    INTERRUPTED = 130


class _Mode:
    """The output mode of this run: set by the ``--json`` and ``--debug`` options."""

    json = False
    debug = False


MODE = _Mode()


def reset_mode() -> None:
    """Forget the options of an earlier run (a new run of the command begins)."""
    MODE.json = False
    MODE.debug = False


class Refused(click.ClickException):
    """A user error: a sentence saying what to do, exit code 1, nothing changed.

    ``fields`` holds the messages by field, as the REST API's 400 answers do."""

    exit_code = ExitCode.REFUSED

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}

    def show(self, file: IO[Any] | None = None) -> None:
        """The sentence on standard error; with ``--json`` also the API's error object on
        standard output, so that a script reads it where it reads every answer."""
        if MODE.json:
            body: dict[str, Any] = {"error": self.message}
            if self.fields:
                body["fields"] = self.fields
            click.echo(json.dumps(body, indent=2))
        click.echo(f"Error: {self.message}", err=True)


class Finished(click.ClickException):
    """The end of following a task that did not succeed; the sentence goes to standard error
    (the answer itself is printed already)."""

    def show(self, file: IO[Any] | None = None) -> None:
        """The sentence on standard error."""
        click.echo(self.message, err=True)


class TaskFailed(Finished):
    """The followed task ended in error."""

    exit_code = ExitCode.TASK_FAILED


class TaskWarned(Finished):
    """The followed task ended with warnings."""

    exit_code = ExitCode.TASK_WARNING


class Interrupted(Finished):
    """Ctrl-C stopped the following (the task goes on)."""

    exit_code = ExitCode.INTERRUPTED


def _set_json(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    MODE.json = bool(value)
    return value


def _set_debug(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        MODE.debug = True
    return value


def json_option(function: F) -> F:
    """``--json``: print the answer as the REST API's JSON object."""
    return click.option(
        "--json", "json_output", is_flag=True, expose_value=False, callback=_set_json,
        help="Print the answer as JSON (the REST API's objects) instead of text.",
    )(function)


def debug_option(function: F) -> F:
    """``--debug``: show the traceback of an unexpected error."""
    return click.option(
        "--debug", "debug_output", is_flag=True, expose_value=False, callback=_set_debug,
        help="Show the traceback of an error.",
    )(function)


def output_options(function: F) -> F:
    """``--json`` and ``--debug``, which every noun command takes."""
    return json_option(debug_option(function))


def emit(data: Any, text: str | Iterable[str]) -> None:
    """Print ``data`` as JSON with ``--json``, else ``text`` (a string or lines)."""
    if MODE.json:
        click.echo(json.dumps(data, indent=2))
        return
    for line in [text] if isinstance(text, str) else text:
        click.echo(line)


def listing(items: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    """The API's list object."""
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """Lines of a plain table: a header and one line per row, columns padded to fit."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(value))

    def line(values: Sequence[str]) -> str:
        padded = (value.ljust(width) for value, width in zip(values, widths, strict=True))
        return "  ".join(padded).rstrip()

    return [line(list(headers)), *(line(row) for row in cells)]


def fields(pairs: Iterable[tuple[str, Any]]) -> list[str]:
    """Lines of ``name: value`` pairs, the names aligned (an object's details)."""
    shown = [(name, "" if value is None else str(value)) for name, value in pairs]
    width = max((len(name) for name, _ in shown), default=0)
    return [f"{name + ':':<{width + 1}} {value}".rstrip() for name, value in shown]


def warn(message: str) -> None:
    """A sentence for the person on standard error (never in the JSON on standard output)."""
    click.echo(message, err=True)


def stderr_is_terminal() -> bool:
    """Whether standard error is a terminal (a progress line can be redrawn there)."""
    return sys.stderr.isatty()
