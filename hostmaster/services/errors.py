"""Errors the service layer raises for people: each carries sentences, per field when it can."""

from __future__ import annotations


class ValidationError(ValueError):
    """Input that cannot be accepted; ``errors`` maps a field name (or "") to its messages."""

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        self.errors = {"": [errors]} if isinstance(errors, str) else errors
        super().__init__(" ".join(m for messages in self.errors.values() for m in messages))

    @classmethod
    def field(cls, name: str, message: str) -> ValidationError:
        """An error about one field."""
        return cls({name: [message]})


class TaskNotAvailable(ValueError):
    """The task cannot be queued on this entity now; the message says why."""
