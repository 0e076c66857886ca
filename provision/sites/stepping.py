"""Named steps with undos, for the site commands that move a site (restore, migrate, clone).

Each step calls the ``provision_step`` hook first (so a plugin can stop it), then does its
work; what it created is remembered as an undo. When a step fails, the log says which one,
and the undos run newest first: whatever the step or an undo raises, every other undo still
runs, so the site ends as it was before the command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import ProvisionError

if TYPE_CHECKING:
    from ..contexts.model import Context
    from ..log import Logger


class StepFailed(ProvisionError):
    """A named step of a site command failed (its undos have run)."""


class Steps:
    """The steps of one command run, and the undos of those done so far."""

    def __init__(self, command: str, logger: Logger) -> None:
        self.command = command
        self.logger = logger
        self.current = ""
        self._undo: list[tuple[str, Callable[[], Any]]] = []

    @contextmanager
    def step(self, name: str, context: Context | None = None) -> Iterator[None]:
        """Run the block as step ``name``; on failure undo everything and raise StepFailed."""
        from ..plugins import plugin_manager

        self.current = name
        try:
            plugin_manager().hook.provision_step(
                command=self.command, step=name, context=context, logger=self.logger)
            yield
        except BaseException as error:
            reason = str(error) or type(error).__name__
            self.logger.error(f"The step {name} of {self.command} failed: {reason}")
            self.roll_back()
            raise StepFailed(
                f"{self.command} stopped at the step {name}; everything it changed was undone. "
                "Fix the cause named above, then run the task again."
            ) from error

    def undo(self, what: str, action: Callable[[], Any]) -> None:
        """Remember how to undo something just done (``what`` says it, for the log)."""
        self._undo.append((what, action))

    def forget_undos(self) -> None:
        """The command reached the point of no return: nothing will be undone any more."""
        self._undo.clear()

    def roll_back(self) -> None:
        """Run the undos newest first; one that fails is a warning and the others still run."""
        while self._undo:
            what, action = self._undo.pop()
            try:
                action()
                self.logger.info(f"Undone: {what}.")
            except Exception as failure:  # keep undoing: the site must end as it was
                self.logger.warning(f"Could not {what} while undoing {self.command}: {failure}")
