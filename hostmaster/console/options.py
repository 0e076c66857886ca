"""Options several nouns share: a list's page, plugin fields, and features that must be on."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import Select, func, select

from ..extensions import db
from ..services.errors import ValidationError
from .output import F, Refused

#: The most rows one list answer holds (the REST API's limit).
MAX_LIMIT = 500


def page_options(function: F) -> F:
    """``--limit`` and ``--offset`` of a list (as the REST API's list operations)."""
    function = click.option("--offset", default=0, show_default=True,
                            type=click.IntRange(0, 2**31 - 1),
                            help="Skip this many rows first.")(function)
    return click.option("--limit", default=100, show_default=True,
                        type=click.IntRange(1, MAX_LIMIT),
                        help="Show at most this many rows.")(function)


def page(query: Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    """The rows of one page of ``query`` and the number of rows of all pages."""
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(db.session.scalars(query.limit(limit).offset(offset))), total


def field_option(function: F) -> F:
    """``--field NAME=VALUE``: a plugin's field of the entity (repeatable)."""
    return click.option(
        "--field", "plugin_fields", multiple=True, metavar="NAME=VALUE",
        help="A plugin's field (see `hostmaster feature list`); repeat for several.",
    )(function)


def plugin_values(pairs: tuple[str, ...]) -> dict[str, str]:
    """``--field`` values by field name; Refused for one without ``=``."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise Refused(f"--field takes NAME=VALUE, not {pair!r}.")
        values[name.strip()] = value.strip()
    return values


def require_feature(name: str) -> None:
    """Refuse while feature ``name`` is off (its pages answer 404 in the panel)."""
    from ..services import features

    if not features.enabled(name):
        spec = features.known().get(name)
        title = spec.title if spec is not None else name
        raise Refused(f"The {title} feature is switched off; an administrator can switch it "
                      f"on (`hostmaster feature enable {name}`).")


def refused(error: ValidationError, flags: dict[str, str]) -> Refused:
    """A service's ValidationError as a Refused: each sentence after the name of the option
    (or argument) that gave the field."""
    text = " ".join(f"{flags[name]}: {message}" if name in flags else message
                    for name, messages in error.errors.items() for message in messages)
    return Refused(text, error.errors)
