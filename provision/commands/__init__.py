"""provision's commands, one verb a module, and the runner that wraps them in hooks.

A command module defines ``CONTEXT`` (``"required"``: the context must exist before the command
runs; ``"optional"``: it is loaded when it exists) and ``run(invocation) -> dict``, the result
object. Modules are imported only when their verb is used, which keeps start-up fast.

Every command that changes anything runs in a journal (:mod:`provision.journal`): its result
is its commit point, and a failure rolls back what it did. Before any command, an interrupted
command on the same context is recovered.
"""

from __future__ import annotations

import importlib
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from .. import validation
from ..contexts import Context, Contexts
from ..errors import ProvisionError
from ..journal import Journal, recover, suspended
from ..log import Logger
from .options import check_options

#: Verb → module. ``save`` and ``show`` take the context name after the verb, the others
#: before it (``provision @server_master verify``).
COMMANDS = {
    "backup": "provision.commands.backup",
    "backup-delete": "provision.commands.backup_delete",
    "certificate": "provision.commands.certificate",
    "clone": "provision.commands.clone",
    "cron": "provision.commands.cron",
    "delete": "provision.commands.delete",
    "disable": "provision.commands.disable",
    "enable": "provision.commands.enable",
    "import": "provision.commands.import_site",
    "install": "provision.commands.install",
    "login-reset": "provision.commands.login_reset",
    "migrate": "provision.commands.migrate",
    "noop": "provision.commands.noop",
    "orphan-remove": "provision.commands.orphan_remove",
    "orphans": "provision.commands.orphans",
    "recover": "provision.commands.recover",
    "restore": "provision.commands.restore",
    "save": "provision.commands.save",
    "show": "provision.commands.show",
    "statistics": "provision.commands.statistics",
    "trust-key": "provision.commands.trust_key",
    "verify": "provision.commands.verify",
}


#: Commands that change nothing (or one context file, atomically): they keep no journal.
UNJOURNALED = frozenset({"cron", "login-reset", "noop", "orphans", "recover", "save", "show",
                         "statistics", "trust-key"})


@dataclass
class Invocation:
    """One command to run: its verb, context, arguments and options, and where to log."""

    command: str
    name: str
    contexts: Contexts
    logger: Logger
    args: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    #: The loaded context, set by the runner (None for an optional context that is missing).
    context: Context | None = None
    #: The dispatcher's task, when the front end started the command.
    task_id: int | None = None
    #: The command's journal, set by the runner (None for a command that changes nothing).
    journal: Journal | None = None


@dataclass
class Outcome:
    """What a command produced: the result object and the context's public properties."""

    object: dict[str, Any]
    context: dict[str, Any]


def run_command(invocation: Invocation) -> Outcome:
    """Run ``invocation``: recover its context if a command on it was interrupted, load it,
    then the pre hooks, the command in its journal, the post hooks, the commit.

    When the command or a hook fails before the commit point, the journal rolls back what the
    command did, the rollback hooks run and the error propagates.
    """
    module_name = COMMANDS.get(invocation.command)
    if module_name is None:
        raise ProvisionError(
            f"provision has no command {invocation.command!r}; the commands are "
            f"{', '.join(sorted(COMMANDS))}."
        )
    module = importlib.import_module(module_name)
    invocation.options = check_options(invocation.options)
    try:
        invocation.args = [validation.text(arg, "argument") for arg in invocation.args]
    except validation.InvalidValue as refusal:
        raise ProvisionError(str(refusal)) from None
    contexts = invocation.contexts
    logger = invocation.logger
    if invocation.command != "recover" and invocation.name:
        recover(contexts, logger, context=invocation.name)
    if invocation.name and (module.CONTEXT == "required" or contexts.exists(invocation.name)):
        invocation.context = contexts.load(invocation.name)

    from ..plugins import plugin_manager

    hook = plugin_manager().hook
    hook_args = {"command": invocation.command, "options": invocation.options, "logger": logger}
    journal = None
    if invocation.command not in UNJOURNALED:
        journal = invocation.journal = Journal.begin(
            contexts, logger, invocation.command, invocation.name, invocation.task_id)
    # An unjournaled command notes nothing, whatever an earlier command of this process
    # left as the current journal.
    with nullcontext() if journal is not None else suspended():
        try:
            hook.provision_pre_command(context=invocation.context, **hook_args)
            result: dict[str, Any] = module.run(invocation)
            hook.provision_post_command(context=invocation.context, result=result, **hook_args)
            finish(invocation, result)
        except BaseException as error:
            if journal is not None and journal.state != "ended" and not journal.committed:
                journal.roll_back()
                journal.record_outcome("rolled back", "the command itself")
            hook.provision_rollback_command(context=invocation.context, error=error,
                                            **hook_args)
            raise
    context = invocation.context
    return Outcome(result, context.public_properties() if context is not None else {})


def finish(invocation: Invocation, result: dict[str, Any]) -> None:
    """The commit point of ``invocation``: its result stands, its declared cleanup runs.

    The runner calls it after the post hooks; a command whose log should tell its cleanup
    before its last line calls it itself (calling it twice does nothing more).
    """
    journal = invocation.journal
    if journal is not None and journal.state in ("open", "committed"):
        journal.finish(result)
