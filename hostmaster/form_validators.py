"""WTForms validators that apply provision's rules (provision/validation.py) to form fields."""

from __future__ import annotations

from typing import Any

from wtforms import Field
from wtforms.validators import StopValidation

from provision import validation


class OneLine:
    """The field is one line of printable text (no line break, NUL or other control
    character), of at most ``max_length`` characters."""

    def __init__(self, max_length: int = validation.TEXT_MAX) -> None:
        self.max_length = max_length

    def __call__(self, form: Any, field: Field) -> None:
        problem = validation.problem(validation.text, field.data or "",
                                     str(field.label.text).lower(), max_length=self.max_length)
        if problem:
            raise StopValidation(problem)


class MailAddress:
    """The field is an e-mail address as provision reads one (no header-breaking
    characters, a real domain)."""

    def __call__(self, form: Any, field: Field) -> None:
        problem = validation.problem(validation.email, (field.data or "").strip())
        if problem:
            raise StopValidation(problem)
