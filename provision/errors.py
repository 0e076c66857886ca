"""Errors raised by provision; each message is a sentence meant for the person reading the log."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .shell import Completed


class ProvisionError(Exception):
    """A command could not do what was asked; the message says why and what to do next."""


class ContextError(ProvisionError):
    """A context name, property or reference is invalid or missing."""


class ServiceError(ProvisionError):
    """A service (web server, database server) refused or failed an operation."""


class ApplicationError(ProvisionError):
    """A codebase holds no known application, or the application could not be read."""


class CommandFailed(ServiceError):
    """A command exited with a non-zero status; ``completed`` holds its output."""

    def __init__(self, message: str, completed: Completed) -> None:
        super().__init__(message)
        #: The failed command's arguments, exit status and output.
        self.completed = completed
