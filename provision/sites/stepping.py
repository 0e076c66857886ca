"""Named steps of a command: each is written to the journal, offered to plugins, and named in
the log when it fails.

Each step calls the ``provision_step`` hook first (so a plugin can stop it) and records its
name in the command's journal (so an interrupted command says where it stopped, and tests can
kill provision at each step boundary). What a step changes is undone by the journal
(:mod:`provision.journal`): when a step fails, the log says which one, and the journal rolls
back everything the command did, newest first, before the error goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import ProvisionError
from ..journal import current

if TYPE_CHECKING:
    from ..contexts.model import Context
    from ..log import Logger


class StepFailed(ProvisionError):
    """A named step of a command failed (what the command changed has been undone)."""


class Steps:
    """The steps of one command run."""

    def __init__(self, command: str, logger: Logger) -> None:
        self.command = command
        self.logger = logger
        self.current = ""

    @contextmanager
    def step(self, name: str, context: Context | None = None) -> Iterator[None]:
        """Run the block as step ``name``; on failure roll the command back and raise
        StepFailed."""
        from ..plugins import plugin_manager

        self.current = name
        journal = current()
        if journal is not None:
            journal.step(name)
        try:
            try:
                plugin_manager().hook.provision_step(
                    command=self.command, step=name, context=context, logger=self.logger)
            except Exception as refusal:  # a plugin may stop any step: that is no bug
                raise ProvisionError(f"a plugin stopped it ({refusal})") from refusal
            yield
        except BaseException as error:
            # A failure of the world (a refusal, a missing file) is told as the step's; a bug
            # or an interruption goes on as it is, once the command is rolled back.
            expected = isinstance(error, ProvisionError | OSError)
            if expected:
                reason = str(error) or type(error).__name__
                self.logger.error(f"The step {name} of {self.command} failed: {reason}")
            if journal is not None and journal.state != "ended" and not journal.committed:
                journal.roll_back()
                journal.record_outcome("rolled back", "the command itself")
            if not expected:
                raise
            raise StepFailed(
                f"{self.command} stopped at the step {name}; everything it changed was undone. "
                "Fix the cause named above, then run the task again."
            ) from error
