"""Reading the web interface's pages in tests: the text a user sees, errors beside fields,
parts of a page, and row counts that show whether a form wrote anything."""

from __future__ import annotations

import html
import re

from flask import Flask
from sqlalchemy import func, select

from hostmaster.extensions import db
from hostmaster.models import Base

_TAG = re.compile(r"<[^>]+>")


def text(markup: str) -> str:
    """What a reader sees: tags removed, entities decoded, white space collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())


def part(markup: str, element_id: str, end: str) -> str:
    """The markup from the element with ``id=element_id`` up to the first ``end`` after it."""
    start = markup.find(f'id="{element_id}"')
    assert start >= 0, f"no element with id {element_id!r} on the page"
    stop = markup.find(end, start)
    return markup[start : stop if stop >= 0 else None]


def field_error(markup: str, field_id: str) -> str:
    """The error text shown beside form field ``field_id`` ("" when it has none)."""
    match = re.search(rf'<ul class="field-errors" id="{re.escape(field_id)}-error">(.*?)</ul>',
                      markup, re.S)
    return text(match.group(1)) if match else ""


def rows(app: Flask, *models: type[Base]) -> tuple[int, ...]:
    """How many rows each model's table holds."""
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model)) or 0 for model in models
        )
