"""The ``provision`` command line (see docs/protocol.md for the forms and the backend protocol).

    provision [--root DIR] save @name --context_type=server|platform|site [--key=value ...]
    provision [--root DIR] save @name --delete
    provision [--root DIR] show @name
    provision [--root DIR] [--backend] @name COMMAND [ARGS ...] [--key=value ...]
    provision [--root DIR] recover [@name]

Start-up time matters (the dispatcher starts one provision per task), so this module imports
only what every run needs; commands import the rest.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from .aegir_user import provision_root_refusal, refused_as_root
from .commands import COMMANDS, Invocation, Outcome, run_command
from .commands.options import SECRET_OPTION_WORDS
from .contexts import Contexts
from .errors import ProvisionError
from .log import Logger

#: Commands whose context name comes after the verb (``provision save @name``).
NAME_AFTER = ("save", "show")
#: Commands that may run on no context at all (``provision recover``).
NAME_OPTIONAL = ("recover",)
#: Options that never take the next word as their value.
FLAGS = frozenset({"delete", "force", "dry_run"})


class Usage(ProvisionError):
    """The command line does not say what to do."""


def parse_words(words: list[str]) -> tuple[str, str, list[str], dict[str, Any]]:
    """Split the words after the global options into verb, context name, arguments, options.

    ``--key=value`` and ``--key value`` set options (keys use ``_``; ``-`` is accepted);
    ``--flag`` alone is true; ``--`` ends the options.
    """
    if not words:
        raise Usage(
            "Say what to do, e.g. `provision save @name --context_type=server`, "
            "`provision show @name` or `provision @name verify`."
        )
    if words[0] in NAME_OPTIONAL:
        has_name = len(words) > 1 and words[1].startswith("@")
        verb, name, rest = words[0], words[1] if has_name else "", words[2 if has_name else 1:]
    elif words[0] in NAME_AFTER:
        if len(words) < 2 or words[1].startswith("-"):
            raise Usage(f"Say which context to {words[0]}: `provision {words[0]} @name`.")
        verb, name, rest = words[0], words[1], words[2:]
    elif words[0].startswith("@"):
        if len(words) < 2 or words[1].startswith("-"):
            raise Usage(
                f"Say which command to run on {words[0]}, e.g. `provision {words[0]} verify`; "
                f"the commands are {', '.join(sorted(COMMANDS))}."
            )
        name, verb, rest = words[0], words[1], words[2:]
    else:
        raise Usage(
            f"{words[0]!r} is neither a command that takes a context (save, show) nor a "
            "context name (@name); run `provision --help` for the forms."
        )
    args: list[str] = []
    options: dict[str, Any] = {}
    index = 0
    while index < len(rest):
        word = rest[index]
        index += 1
        if word == "--":
            args.extend(rest[index:])
            break
        if not word.startswith("--") or word == "--":
            args.append(word)
            continue
        key, equals, value = word[2:].partition("=")
        key = key.replace("-", "_")
        if not key:
            raise Usage(f"The option {word!r} has no name; write --key=value.")
        if equals:
            options[key] = value
        elif key not in FLAGS and index < len(rest) and not rest[index].startswith("-"):
            options[key] = rest[index]
            index += 1
        else:
            options[key] = True
    return verb, name, args, options


def read_payload(stream: TextIO) -> tuple[list[dict[str, Any]], dict[str, Any], int | None]:
    """The ``contexts``, ``options`` and ``task_id`` of the one JSON object on standard input
    (backend mode)."""
    text = stream.read()
    try:
        payload = json.loads(text) if text.strip() else {}
    except ValueError as error:
        raise ProvisionError(
            f"The JSON on standard input cannot be read ({error}); send one JSON object with "
            "\"contexts\" and \"options\"."
        ) from None
    if not isinstance(payload, dict):
        raise ProvisionError("Standard input must hold one JSON object, not a list or a value.")
    contexts = payload.get("contexts") or []
    options = payload.get("options") or {}
    if not isinstance(contexts, list) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("properties", {}), dict)
        for entry in contexts
    ):
        raise ProvisionError(
            "\"contexts\" on standard input must be a list of {\"name\": \"@x\", "
            "\"properties\": {...}} objects."
        )
    if not isinstance(options, dict):
        raise ProvisionError("\"options\" on standard input must be a JSON object.")
    task_id = payload.get("task_id")
    if task_id is not None and (isinstance(task_id, bool) or not isinstance(task_id, int)):
        raise ProvisionError("\"task_id\" on standard input must be a whole number.")
    return contexts, options, task_id


def execute(words: list[str], *, root: Path, backend: bool, logger: Logger) -> int:
    """Run one provision command and write its result line; returns the exit status."""
    contexts = Contexts(root, logger)
    name = ""
    outcome = Outcome({}, {})
    try:
        if refused_as_root():
            raise ProvisionError(provision_root_refusal())
        verb, name, args, options = parse_words(words)
        task_id = None
        if not backend and verb != "save" and not root.is_dir():
            raise Usage(f"The aegir root {root} does not exist: give the right one with --root "
                        "or AEGIR_ROOT (`provision save` creates it).")
        if backend:
            saved, given, task_id = read_payload(sys.stdin)
            if saved:
                # A half-done command on one of these must be finished before they change.
                from .journal import recover

                for entry in saved:
                    recover(contexts, logger, context=entry["name"])
            for entry in saved:
                # One debug line each: the dispatcher stores every line, and these come with
                # every task.
                context = contexts.save(entry["name"], entry.get("properties", {}))
                logger.debug(f"Saved the {context.context_type} context {context.name}.")
            options.update(given)
        for key, value in options.items():
            if any(word in key.lower() for word in SECRET_OPTION_WORDS):
                logger.add_secret(value)
        invocation = Invocation(verb, name, contexts, logger, args, options, task_id=task_id)
        outcome = run_command(invocation)
    except ProvisionError as error:
        logger.error(str(error))
    except Exception as error:
        import traceback

        logger.debug(traceback.format_exc())
        logger.error(
            f"provision stopped on an unexpected {type(error).__name__} ({error}); this is a "
            "bug in provision or one of its plugins, run the command again with --debug to "
            "see where."
        )
    finally:
        from .ssh import close_all

        close_all()
    if logger.had_error and not outcome.context:
        outcome.context = _context_if_readable(contexts, name)
    status = 1 if logger.had_error else 0
    logger.result(status, outcome.context, outcome.object if status == 0 else {})
    return status


def _context_if_readable(contexts: Contexts, name: str) -> dict[str, Any]:
    """The context's public properties for a failed command's result, when it can be read."""
    try:
        return contexts.load(name).public_properties() if name else {}
    except Exception:
        return {}


def _complete_words(ctx: click.Context, _param: click.Parameter,
                    incomplete: str) -> list[str]:
    """Shell completion of the words: context names and commands (provision/help.py)."""
    from .help import completions

    root = Path(ctx.params.get("root") or "/var/aegir")
    return completions(root, list(ctx.params.get("words") or ()), incomplete)


class ProvisionCommand(click.Command):
    """provision's click command: its help ends with the list of commands."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands, each with what it does (read from its module only for help)."""
        from .help import commands_list

        formatter.write_paragraph()
        formatter.write_text("Commands (`provision [@name] COMMAND --help` for one):")
        formatter.write(commands_list() + "\n")


@click.command(
    cls=ProvisionCommand,
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "allow_interspersed_args": False,
        "help_option_names": ["-h", "--help"],
    },
    # \b keeps click from re-wrapping the usage lines.
    help="\b\n" + __doc__.split("\n\n")[1] if __doc__ else None,
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="AEGIR_ROOT",
    default="/var/aegir",
    show_default=True,
    help="The aegir root; else the environment variable AEGIR_ROOT.",
)
@click.option("--backend", is_flag=True, help="Read JSON from stdin, write JSON lines.")
@click.option("--debug", is_flag=True, help="Show debug lines (and tracebacks).")
@click.argument("words", nargs=-1, type=click.UNPROCESSED, shell_complete=_complete_words)
def command(root: Path, backend: bool, debug: bool, words: tuple[str, ...]) -> int:
    """Run provision (the help text is the module docstring's usage block). ``--help``
    anywhere before ``--`` prints help and runs nothing."""
    from .help import asks_for_help, command_help, verb_of

    if asks_for_help(list(words)):
        verb = verb_of(list(words))
        context = click.get_current_context()
        click.echo(command_help(verb) if verb is not None else context.get_help())
        return 0
    logger = Logger(backend=backend, show_debug=debug)
    return execute(list(words), root=root, backend=backend, logger=logger)


def main(argv: list[str] | None = None) -> int:
    """The console script: run provision and return its exit status."""
    try:
        status = command.main(args=argv, prog_name="provision", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        return 1
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    sys.exit(main())
