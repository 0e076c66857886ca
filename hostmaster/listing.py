"""Lists a page at a time: the page asked for, a whitelisted sort column, and a search term.

Every list page (sites, platforms, tasks) reads its query string through these helpers, so a
bad or unknown parameter is ignored rather than refused, and the links a page draws keep the
filters the visitor chose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from .extensions import db
from .models import store_id

#: The longest search term used; a longer one is cut (it could match nothing longer anyway).
SEARCH_LENGTH = 100


@dataclass(frozen=True)
class Sorting:
    """The column a list is sorted by, and the direction."""

    key: str
    descending: bool

    def args_for(self, key: str) -> dict[str, str]:
        """The query arguments of a column header's link: that column, ascending, or the
        other direction when it is the current column."""
        descending = not self.descending if key == self.key else False
        return {"sort": key, "dir": "desc" if descending else "asc"}

    def aria(self, key: str) -> str:
        """The header's ``aria-sort`` value."""
        if key != self.key:
            return "none"
        return "descending" if self.descending else "ascending"


def sorted_query(query: Select[Any], args: Mapping[str, str], columns: Mapping[str, Any],
                 default: str, *, default_descending: bool = False,
                 tie_breaker: Any = None) -> tuple[Select[Any], Sorting]:
    """``query`` ordered by the column ``?sort=`` names (one of ``columns``, else ``default``),
    ``?dir=asc|desc``; ``tie_breaker`` (the id) keeps pages stable among equal values."""
    key = args.get("sort", "")
    if key not in columns:
        key = default
        descending = default_descending
    else:
        descending = args.get("dir", "asc") == "desc"
    column = columns[key]
    order = [column.desc() if descending else column.asc()]
    if tie_breaker is not None:
        order.append(tie_breaker.desc() if descending else tie_breaker.asc())
    return query.order_by(*order), Sorting(key, descending)


def search_term(args: Mapping[str, str], name: str = "q") -> str:
    """The search term of ``?q=``, trimmed (empty: no search)."""
    return (args.get(name) or "").strip()[:SEARCH_LENGTH]


def contains(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere, with LIKE's wildcards taken literally
    (use it with a backslash as the LIKE escape character)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def whole_number(args: Mapping[str, str], name: str) -> int | None:
    """``?name=`` as a positive whole number, or None when it is missing or is not one."""
    return store_id(args.get(name))


def page_of(query: Select[Any], args: Mapping[str, str]) -> Pagination:
    """The page ``?page=`` of ``query`` (the last page when it asks for one past the end)."""
    per_page = int(current_app.config["PAGE_SIZE"])
    number = whole_number(args, "page") or 1
    page = db.paginate(query, page=number, per_page=per_page, error_out=False)
    if not page.items and page.total and number > 1:
        page = db.paginate(query, page=page.pages, per_page=per_page, error_out=False)
    return page
