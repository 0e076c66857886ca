"""``hostmaster settings list|get|set``: every setting of the registry
(hostmaster/services/setting_registry.py), the same ones the Settings page shows.

A secret setting (the SMTP password) is never printed and never taken from the command line:
``settings set smtp_password`` reads it from the environment variable
``HOSTMASTER_SETTING_VALUE`` or asks for it without echo.
"""

from __future__ import annotations

import json
import os

import click
from flask import current_app
from flask.cli import AppGroup

from .services import settings
from .services.errors import ValidationError
from .services.setting_registry import ENVIRONMENT, GROUPS, SPECS, SettingSpec, spec

settings_cli = AppGroup("settings", help="Show and change the panel's settings.")
SECRET_VARIABLE = "HOSTMASTER_SETTING_VALUE"


def _spec(name: str) -> SettingSpec:
    """The setting ``name``; a sentence naming the command that lists them when none is."""
    try:
        return spec(name)
    except ValidationError as error:
        raise click.ClickException(str(error)) from None


@settings_cli.command("list")
@click.option("--group", type=click.Choice([*GROUPS, "environment"]),
              help="Only the settings of one group.")
def settings_list(group: str | None) -> None:
    """Every setting with its value, by group ("*" marks values that are not the default), and
    what the processes read from their environment (changed there, with a restart)."""
    for key, title in GROUPS.items():
        found = [s for s in SPECS if s.group == key]
        if group not in (None, key) or not found:
            continue
        click.echo(f"{title}:")
        for setting in found:
            mark = "*" if settings.is_set(setting.name) else " "
            value = settings.shown_value(setting.name).replace("\n", "\\n")
            if len(value) > 60:
                value = value[:57] + "..."
            click.echo(f" {mark} {setting.name:<30} {value}")
    if group in (None, "environment"):
        click.echo("Environment (set by the variable named, read when a process starts):")
        for name, variable, _text in ENVIRONMENT:
            click.echo(f"   {name:<30} {current_app.config.get(name)!s:<30} {variable}")


@settings_cli.command("get")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the value as JSON.")
def settings_get(name: str, as_json: bool) -> None:
    """Print the value of setting NAME (a secret only as "(set)" or "(not set)")."""
    setting = _spec(name)
    if as_json and not setting.secret:
        click.echo(json.dumps(settings.get(name)))
    else:
        click.echo(settings.shown_value(name))
    click.echo(f"{setting.title}. {setting.help}".rstrip(), err=True)


@settings_cli.command("set")
@click.argument("name")
@click.argument("value", required=False)
@click.option("--reset", is_flag=True, help="Forget the stored value: back to the default.")
def settings_set(name: str, value: str | None, reset: bool) -> None:
    """Set NAME to VALUE (on/off, a number, a text; lists comma-separated), checked as the
    Settings page checks it."""
    setting = _spec(name)
    try:
        if reset:
            settings.reset(name)
        else:
            if setting.secret:
                if value is not None:
                    raise click.ClickException(
                        f"{name} is secret: do not put it on the command line (it would stay "
                        f"in the shell's history). Leave VALUE out and type it when asked, or "
                        f"give it in {SECRET_VARIABLE}.")
                value = os.environ.get(SECRET_VARIABLE) or click.prompt(
                    setting.title, hide_input=True, default="", show_default=False)
            elif value is None:
                raise click.UsageError(f"Give a value for {name}, or --reset.")
            settings.set_from_text(name, value)
    except ValidationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{name} is now {settings.shown_value(name)}.")


def commands() -> list[click.Command]:
    """The commands of this module, for the app's CLI."""
    return [settings_cli]
