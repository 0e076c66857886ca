"""Configuration files from the Jinja templates shipped in ``provision/templates/``."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).parent / "templates"


def quote(value: object) -> str:
    """``value`` as a double-quoted string for Apache or nginx configuration."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


@functools.cache
def environment() -> jinja2.Environment:
    """The template environment; jinja2 is imported here, on first use, to keep start-up fast."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # Configuration files, not HTML: values are quoted with the quote filter instead.
        autoescape=False,
    )
    env.filters["quote"] = quote
    return env


def render(template: str, **variables: Any) -> str:
    """Render ``template`` (a path under provision/templates) with ``variables``."""
    return environment().get_template(template).render(**variables)
