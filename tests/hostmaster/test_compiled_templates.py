"""Templates are compiled once per process, whichever app renders them, and compiled again
when their source changes (hostmaster/ui.py ``CompiledTemplates``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import Environment, FileSystemLoader

from hostmaster.ui import COMPILED_TEMPLATES, CompiledTemplates
from tests.fixtures.app import one_store


class CountingEnvironment(Environment):
    """An environment that counts the templates it compiles."""

    compiled = 0

    def compile(self, *args: Any, **kwargs: Any) -> Any:
        CountingEnvironment.compiled += 1
        return super().compile(*args, **kwargs)


def test_a_template_is_compiled_once_for_every_app_and_again_when_its_source_changes(
    tmp_path: Path,
) -> None:
    cache = CompiledTemplates()
    page = tmp_path / "page.html"
    page.write_text("Hello {{ name }}")

    def render() -> str:  # each call as a new app would: a new environment
        environment = CountingEnvironment(loader=FileSystemLoader(tmp_path),
                                          bytecode_cache=cache)
        return environment.get_template("page.html").render(name="admin")

    CountingEnvironment.compiled = 0
    assert [render(), render(), render()] == ["Hello admin"] * 3
    assert CountingEnvironment.compiled == 1
    page.write_text("Goodbye {{ name }}")
    assert render() == "Goodbye admin"
    assert CountingEnvironment.compiled == 2


@one_store
def test_the_apps_share_the_compiled_templates(app: Flask) -> None:
    assert app.jinja_env.bytecode_cache is COMPILED_TEMPLATES
