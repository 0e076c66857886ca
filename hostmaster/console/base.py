"""The command and group classes of the noun commands: a command checks that the store exists
before it runs and turns user errors into sentences (exit code 1); ``--help`` is answered
before either, so it never touches the store."""

from __future__ import annotations

from typing import Any

import click
from flask import has_app_context
from flask.cli import AppGroup, ScriptInfo

from .errors import refusal, require_store


class NounCommand(click.Command):
    """A command that works on the store."""

    needs_store = True

    def invoke(self, ctx: click.Context) -> Any:
        """Check the store, run the command; a user error becomes a Refused (exit code 1).
        Both happen in the app's context (``hostmaster`` pushes it before; the app's own CLI
        runner only around the callback)."""
        if not has_app_context():
            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                return self._checked_invoke(ctx)
        return self._checked_invoke(ctx)

    def _checked_invoke(self, ctx: click.Context) -> Any:
        try:
            if self.needs_store:
                require_store()
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            refused = refusal(error)
            if refused is None:
                raise  # a fault: the console script says so in one sentence (--debug: where)
            raise refused from error


class NounGroup(AppGroup):
    """A noun (``site``, ``platform`` ...): its subcommands are NounCommands."""

    command_class = NounCommand


class OwnStoreCommand(NounCommand):
    """A command that needs no store to exist (it makes one, or works beside it)."""

    needs_store = False
