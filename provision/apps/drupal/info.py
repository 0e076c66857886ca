"""Readers for Drupal's package description files: ``.info`` (Drupal 7) and ``.info.yml`` (8+).

``.info`` is Drupal's INI-like format: ``key = value``, ``key[] = v``, ``key[a][] = v``, values
in single or double quotes (which may span lines), ``;`` comments at the start of a line.

``.info.yml`` is YAML, but provision only needs its flat top-level scalars (name, type,
description, version, core, core_version_requirement, hidden, project, package, lifecycle), so
a small reader of that subset replaces a YAML dependency: nested mappings and lists are skipped,
quoted and plain scalars, block scalars (``|``, ``>``) and comments are understood. The full
YAML language (anchors, flow mappings, tags) never appears in the keys we read.
"""

from __future__ import annotations

import re
from typing import Any

_KEY_CHARS = re.compile(r"\s*((?:[^=;\[\]\s]|\[[^\[\]]*\]|[ \t]+(?=[^=\s]))+)[ \t]*=[ \t]*")
_KEY_PART = re.compile(r"\[([^\[\]]*)\]")
_TRUE_WORDS = {"true", "1", "yes", "on"}


def parse_info(text: str) -> dict[str, Any]:
    """The keys of a Drupal 7 ``.info`` file; ``key[]`` values become lists, ``key[a]`` dicts.

    Lines that are not ``key = value`` (comments, blank lines, garbage) are ignored, as Drupal
    ignores them.
    """
    info: dict[str, Any] = {}
    position = 0
    while position < len(text):
        line_end = _line_end(text, position)
        line = text[position:line_end]
        if not line.strip() or line.lstrip().startswith(";"):
            position = line_end + 1
            continue
        key_match = _KEY_CHARS.match(text, position, line_end)
        if not key_match:
            position = line_end + 1
            continue
        value, position = _info_value(text, key_match.end())
        _assign(info, key_match.group(1), value)
    return info


def parse_info_yml(text: str) -> dict[str, Any]:
    """The top-level scalar keys of a Drupal 8+ ``.info.yml`` file, as strings or booleans."""
    info: dict[str, Any] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line or line[0] in " \t#-" or ":" not in line:
            continue  # nested content, list items and comments belong to keys we skip
        key, _, rest = line.partition(":")
        key = key.strip().strip("'\"")
        rest = rest.strip()
        # A value continues on the lines indented below it (block or folded plain scalars).
        continuation: list[str] = []
        while index < len(lines) and (not lines[index].strip() or lines[index][0] in " \t"):
            continuation.append(lines[index])
            index += 1
        info[key] = _yaml_scalar(rest, continuation)
    return {key: value for key, value in info.items() if value is not None}


def is_true(value: Any) -> bool:
    """Whether an info value means yes: ``TRUE``/``true``/``1`` in either format."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE_WORDS


def _line_end(text: str, position: int) -> int:
    """Index of the newline ending the line that starts at ``position`` (or the text's end)."""
    end = text.find("\n", position)
    return len(text) if end == -1 else end


def _info_value(text: str, start: int) -> tuple[str, int]:
    """The value starting at ``start`` and where the next line begins.

    A quoted value runs to its closing quote, across lines if need be (a backslash escapes a
    quote); an unclosed quote takes the rest of the line, so one bad line spoils no other.
    """
    quote = text[start : start + 1]
    if quote in ("'", '"'):
        index = start + 1
        while index < len(text):
            if text[index] == "\\" and index + 1 < len(text):
                index += 2
                continue
            if text[index] == quote:
                value = text[start + 1 : index].replace("\\" + quote, quote)
                return value, _line_end(text, index) + 1
            index += 1
    end = _line_end(text, start)
    return text[start:end].strip(), end + 1


def _assign(info: dict[str, Any], raw_key: str, value: str) -> None:
    """Store ``value`` under ``raw_key`` (``name``, ``files[]``, ``regions[header]``...)."""
    head, _, tail = raw_key.partition("[")
    head = head.strip()
    parts = _KEY_PART.findall("[" + tail) if tail else []
    if not parts:
        info[head] = value
        return
    container: Any = info
    keys: list[str] = [head, *parts]
    for depth, part in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(container, list):
            # "key[]" then "key[]" appends; a named or nested part under a list starts a dict.
            if last:
                container.append(value)
                return
            child: Any = [] if keys[depth + 1] == "" else {}
            container.append(child)
            container = child
            continue
        if last:
            container[part] = value
            return
        existing = container.get(part)
        wanted = list if keys[depth + 1] == "" else dict
        if not isinstance(existing, wanted):
            existing = wanted()
            container[part] = existing
        container = existing


def _yaml_scalar(rest: str, continuation: list[str]) -> Any:
    """The scalar value of a top-level key: ``rest`` on its line plus its indented lines.

    Returns None for a nested mapping or list (not a scalar), which the caller drops.
    """
    if rest[:1] in ("|", ">"):
        body = _dedent(continuation)
        return ("\n" if rest[0] == "|" else " ").join(body).strip()
    if rest[:1] in ("'", '"'):
        return _yaml_quoted(" ".join([rest, *(line.strip() for line in continuation)]))
    if rest[:1] in ("[", "{", "&", "*", "!"):
        return None  # flow collections, anchors and tags: never on the keys we read
    value = _strip_comment(rest)
    if not value:
        return None if any(line.strip() for line in continuation) else ""
    folded = " ".join([value, *(_strip_comment(line.strip()) for line in continuation)])
    words = folded.split()
    plain = " ".join(words)
    lowered = plain.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "~"):
        return None
    return plain


def _yaml_quoted(text: str) -> str:
    """A single- or double-quoted YAML scalar without its quotes (text after it is ignored)."""
    quote = text[0]
    out: list[str] = []
    index = 1
    while index < len(text):
        char = text[index]
        if quote == "'" and char == "'":
            if text[index + 1 : index + 2] == "'":
                out.append("'")
                index += 2
                continue
            break
        if quote == '"' and char == "\\" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
            continue
        if quote == '"' and char == '"':
            break
        out.append(char)
        index += 1
    return "".join(out)


def _strip_comment(value: str) -> str:
    """A plain scalar without its trailing ``# comment`` (a ``#`` after whitespace)."""
    match = re.search(r"(^|\s)#", value)
    return (value[: match.start()] if match else value).strip()


def _dedent(lines: list[str]) -> list[str]:
    """Block scalar lines without their common indentation."""
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:].rstrip() for line in lines]
