"""Finding every form of the panel the way a browser does: fetch every page that ``app.url_map``
can build, read each ``<form method="post">`` on it, and note its fields with the values a
browser would send. A form added later is found the same way, so it cannot be forgotten."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.routing import Rule


@dataclass
class FormField:
    """One named field: what a browser sends for it, and whether it repeats (checkboxes)."""

    name: str
    values: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    kind: str = "text"
    repeated: bool = False


@dataclass
class Form:
    """A form as found on a page: where it posts and its fields."""

    action: str
    page: str
    fields: dict[str, FormField] = field(default_factory=dict)

    def sent(self) -> list[tuple[str, str]]:
        """What a browser sends when nothing is changed."""
        return [(f.name, value) for f in self.fields.values() for value in f.values]

    def typed_fields(self) -> list[FormField]:
        """The fields a person fills in or chooses (not the CSRF token or the button)."""
        return [f for f in self.fields.values()
                if f.name not in ("csrf_token", "submit") and f.kind != "submit"]


class _FormParser(HTMLParser):
    """Collects the post forms of one page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: FormField | None = None
        self._selected_seen = False
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form" and found.get("method", "get").lower() == "post":
            action = found.get("action") or self.page
            self._form = Form(urlsplit(action).path or self.page, self.page)
            self.forms.append(self._form)
        elif self._form is None or "name" not in found and tag != "option":
            return
        elif tag == "input":
            self._input(found)
        elif tag == "select":
            self._select = self._field(found["name"], "select")
            self._selected_seen = False
        elif tag == "option" and self._select is not None:
            value = found.get("value", "")
            self._select.options.append(value)
            if "selected" in found:
                self._select.values = [*self._select.values, value]
                self._selected_seen = True
        elif tag == "textarea":
            self._textarea = self._field(found["name"], "textarea")
            self._textarea.values = [""]

    def _input(self, found: dict[str, str]) -> None:
        kind = found.get("type", "text").lower()
        if "name" not in found or kind in ("button", "image", "file", "reset"):
            return
        item = self._field(found["name"], kind)
        if kind in ("checkbox", "radio"):
            item.options.append(found.get("value", "on"))
            if "checked" in found:
                item.values.append(found.get("value", "on"))
            item.repeated = item.repeated or kind == "checkbox" and len(item.options) > 1
        elif kind != "submit":
            item.values = [found.get("value", "")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if not self._selected_seen and self._select.options:
                self._select.values = [self._select.options[0]]
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.values = [self._textarea.values[0] + data]

    def _field(self, name: str, kind: str) -> FormField:
        assert self._form is not None
        return self._form.fields.setdefault(name, FormField(name, kind=kind))


def forms_of(html: str, page: str) -> list[Form]:
    """The post forms of a page."""
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms


def build_paths(app: Flask, rule: Rule, values: Mapping[str, Iterable[object]]) -> list[str]:
    """The paths of ``rule`` for every combination of the values given for its variables
    (a rule whose variable has no values gives none)."""
    paths: list[dict[str, object]] = [{}]
    for name in sorted(rule.arguments):
        paths = [{**done, name: value} for done in paths for value in values.get(name, [])]
    adapter = app.url_map.bind("localhost")
    built = []
    for arguments in paths:
        try:
            built.append(adapter.build(rule.endpoint, arguments))
        except Exception:  # a value the rule's converter does not take
            continue
    return built


def post_rules(app: Flask) -> list[Rule]:
    """Every rule of the panel that takes a POST (the REST API has its own tests)."""
    return [rule for rule in app.url_map.iter_rules()
            if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/v1")]


def get_rules(app: Flask) -> list[Rule]:
    """Every rule of the panel that answers a GET."""
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and rule.endpoint != "static"]
