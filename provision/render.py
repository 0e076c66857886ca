"""Configuration files from the Jinja templates shipped in ``provision/templates/``."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import validation
from .errors import ContextError

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).parent / "templates"


#: The longest value written into a configuration file (a URL with a long domain fits).
QUOTED_MAX = 8192


def quote(value: object) -> str:
    """``value`` as a double-quoted string for Apache or nginx configuration.

    Both read ``\\"`` and ``\\\\`` inside double quotes as a quote and a backslash. A line break
    or another control character cannot be quoted, so such a value is refused: it would let
    a value write configuration lines of its own (provision.validation refuses them before,
    and this is the second guard).
    """
    try:
        text = validation.text(str(value), "configuration value", max_length=QUOTED_MAX)
    except validation.InvalidValue as refusal:
        raise ContextError(f"A value cannot be written into web server configuration: "
                           f"{refusal}") from None
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


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
