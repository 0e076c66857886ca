"""``hostmaster feature``: list the optional features (and installed plugins), switch them."""

from __future__ import annotations

import click

from ..services import features
from .base import NounGroup
from .output import emit, output_options

feature_cli = NounGroup("feature", help="Switch optional features and installed plugins.")


@feature_cli.command("list")
@output_options
def feature_list() -> None:
    """Every feature, whether it is on, and what it does."""
    rows = sorted(features.known().items())
    emit({"items": [{"name": name, "title": spec.title, "description": spec.description,
                     "enabled": features.enabled(name)} for name, spec in rows]},
         [f"{'on ' if features.enabled(name) else 'off'}  {name}: {spec.title}. "
          f"{spec.description}".rstrip() for name, spec in rows])


@feature_cli.command("enable")
@click.argument("name")
@output_options
def feature_enable(name: str) -> None:
    """Switch feature NAME on."""
    features.switch(name, True)
    emit({"name": name, "enabled": True}, f"Feature {name} is on.")


@feature_cli.command("disable")
@click.argument("name")
@output_options
def feature_disable(name: str) -> None:
    """Switch feature NAME off."""
    features.switch(name, False)
    emit({"name": name, "enabled": False}, f"Feature {name} is off.")
