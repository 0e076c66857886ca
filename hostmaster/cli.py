"""The ``hostmaster`` command: everything the panel does (``site``, ``platform``, ``server``,
``client``, ``user``, ``backup``, ``task``, ``feature``: hostmaster/console/), the store, the
dispatcher, and serving.

It is a Flask CLI group built on ``create_app``, so ``hostmaster db upgrade`` (Flask-Migrate)
and every command share the app's configuration (``HOSTMASTER_*`` variables). The group answers
``--help`` before anything runs, says every user error as a sentence with what to do next
(exit code 1; the codes are in hostmaster/console/output.py), and shows a traceback only with
``--debug`` (or ``HOSTMASTER_DEBUG=1``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from .aegir_user import become_aegir, hand_over
from .config import VAR_DIR
from .console.base import NounCommand, OwnStoreCommand
from .console.errors import fault_sentence, refusal
from .console.output import MODE, ExitCode, reset_mode


@click.command("dispatch", cls=NounCommand)
@with_appcontext
@click.option("--daemon", is_flag=True, help="Keep polling until SIGTERM instead of one pass.")
def dispatch(daemon: bool) -> None:
    """Run queued tasks: one pass (for cron), or as a daemon."""
    from .dispatcher import dispatch_once, run_daemon

    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    faults = run_daemon(app) if daemon else dispatch_once(app)
    sys.exit(1 if faults else 0)


@click.command("import", cls=NounCommand)
@click.argument("context")
@click.option("--no-verify", is_flag=True, help="Do not queue a verify of what is imported.")
@with_appcontext
def import_context(context: str, no_verify: bool) -> None:
    """Make a provision context (and those it refers to) records of the front end."""
    from .services.context_import import import_context as run_import

    imported = run_import(context, verify=not no_verify)
    for done in imported:
        verb = "Created" if done.created else "Updated"
        queued = "; its verify is queued" if done.verify_queued else ""
        click.echo(f"{verb} {done.entity.entity_kind} {done.entity.title} from "
                   f"{done.context}{queued}.")


@click.command("bootstrap", cls=OwnStoreCommand)
@click.option("--public-url", default=None, metavar="URL",
              help="The panel's address as visitors reach it (default: HOSTMASTER_PUBLIC_URL, "
                   "else http://<this machine's name>); never a loopback address.")
@with_appcontext
def bootstrap(public_url: str | None) -> None:
    """Create the store, the admin account and @server_master (with its verify queued)."""
    from flask_migrate import upgrade

    from .extensions import db
    from .services import bootstrap as setup
    from .services import permissions

    setup.require_aegir_user()
    upgrade()
    for role in permissions.seed_roles():
        click.echo(f"Role '{role}' created with its default permissions.")
    password = setup.create_admin()
    if password:
        click.echo(f"Admin account created: user 'admin', password '{password}' (shown once).")
    server, detected = setup.register_master(public_url)
    if server is None:
        click.echo("@server_master is registered; its verify is queued again.")
    else:
        kinds = ", ".join(f"{k}: {s.type}" for k, s in detected.services.items()) or "none"
        click.echo(
            f"Registered @server_master ({server.hostname}; services {kinds}); "
            "its verify task is queued."
        )
    for sentence in detected.missing:
        click.echo(f"Missing: {sentence}")
    click.echo(f"Aegir root: {current_app.config['AEGIR_ROOT']}")
    db.engine.dispose()
    hand_over(VAR_DIR)  # run as root: the store and its keys become the aegir user's


@click.command("publish", cls=NounCommand)
@click.option("--upstream", default=lambda: "{}:{}".format(
                  os.environ.get("HOSTMASTER_HOST", "127.0.0.1"),
                  os.environ.get("HOSTMASTER_PORT", "5000")),
              metavar="HOST:PORT", show_default="HOSTMASTER_HOST:HOSTMASTER_PORT",
              help="Where `hostmaster serve` listens (on this machine's loopback).")
@click.option("--off", is_flag=True, help="Stop publishing the panel.")
def publish(upstream: str, off: bool) -> None:
    """Publish the panel on the master's web server at https://<public address>/ (a reverse
    proxy to `hostmaster serve`, with a certificate from the CA of the HTTPS settings)."""
    from .services import panel_publishing, settings

    if off:
        task = panel_publishing.unpublish()
        click.echo(f"The panel is no longer published; the verify of the master removes its "
                   f"vhost and certificate (task {task.id}).")
        return
    task = panel_publishing.publish(upstream)
    click.echo(f"The panel will answer at {settings.public_url()}/ once the verify of the "
               f"master has run (task {task.id}), passing requests to {upstream}. Restart "
               "`hostmaster serve` so that it believes the web server in front of it.")


def gunicorn_argv(host: str, port: int, workers: int, threads: int,
                  control_socket: Path) -> list[str]:
    """gunicorn's command line; ``control_socket`` is this run's own (gunicorn's default, in
    the user's home, would be shared by every ``hostmaster serve`` of that user)."""
    return [os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
            "--bind", f"{host}:{port}", "--control-socket", str(control_socket),
            "hostmaster.wsgi:app"]


@click.command("serve", cls=OwnStoreCommand)
@click.option("--host", default=lambda: os.environ.get("HOSTMASTER_HOST", "127.0.0.1"))
@click.option("--port", default=lambda: int(os.environ.get("HOSTMASTER_PORT", "5000")), type=int)
@click.option("--workers", default=2, show_default=True)
@click.option("--threads", default=8, show_default=True,
              help="Threads per worker: open live logs each hold one for up to 25 s.")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web UI (gunicorn) with a dispatcher daemon beside it, until Ctrl-C."""
    bindir = os.path.dirname(sys.executable)
    published = _published_panel()
    if published and "HOSTMASTER_PROXY_COUNT" not in os.environ:
        # Behind the master's web server (hostmaster publish): believe its X-Forwarded-*.
        os.environ["HOSTMASTER_PROXY_COUNT"] = "1"
    # A private folder (0700) per run for gunicorn's control socket, removed at the end.
    control = Path(tempfile.mkdtemp(prefix=f"hostmaster-serve-{port}-"))
    try:
        children = [
            subprocess.Popen([os.path.join(bindir, "hostmaster"), "dispatch", "--daemon"]),
            subprocess.Popen(gunicorn_argv(host, port, workers, threads,
                                           control / "gunicorn.ctl")),
        ]
        click.echo(f"Hostmaster is at http://{host}:{port}/ (Ctrl-C stops it).")
        if published:
            click.echo(f"It is published at {published}/ through the master's web server.")

        def _stop(_signum: int, _frame: Any) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        os.wait()  # either child ending ends both
        _stop(0, None)
        for child in children:
            child.wait()
    finally:
        shutil.rmtree(control, ignore_errors=True)


def _published_panel() -> str:
    """The panel's public address when it is published (hostmaster publish), else ""."""
    from sqlalchemy.exc import SQLAlchemyError

    from . import create_app
    from .services import panel_publishing, settings

    try:
        with create_app().app_context():
            return settings.public_url() if panel_publishing.published() else ""
    except SQLAlchemyError:  # no store yet: serve says so on the first request
        return ""


def commands() -> list[click.Command]:
    """The commands create_app adds to the app's CLI (one line per module of commands)."""
    from .cli_dispatch import commands as dispatch_control_commands
    from .cli_doctor import commands as doctor_commands  # hostmaster doctor (orphans)
    from .cli_secrets import commands as secrets_commands
    from .cli_settings import commands as settings_commands
    from .console import commands as noun_commands

    return [
        dispatch, import_context, bootstrap, serve, publish,
        *noun_commands(),
        *dispatch_control_commands(),
        *doctor_commands(),
        *secrets_commands(),
        *settings_commands(),
    ]


def _create_app() -> Any:
    from . import create_app

    return create_app()


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--debug``: tracebacks of errors; and, as Flask's own option, its debug mode."""
    source = ctx.get_parameter_source(param.name or "debug")
    if source in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP, None):
        return
    MODE.debug = bool(value)
    os.environ["FLASK_DEBUG"] = "1" if value else "0"


class HostmasterGroup(FlaskGroup):
    """The ``hostmaster`` group: help first, errors as sentences, exit codes that mean
    something (hostmaster/console/output.py)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        own_debug = click.Option(
            ["--debug/--no-debug"], expose_value=False, callback=_set_debug,
            help="Show the traceback of an error (and run Flask in debug mode).")
        self.params = [p for p in self.params if p.name != "debug"] + [own_debug]

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands; when the app cannot be made, a sentence instead of a traceback."""
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except Exception as error:
            refused = refusal(error)
            click.echo(f"Error: {refused.message if refused else fault_sentence(error)}",
                       err=True)
            return sorted(super(FlaskGroup, self).list_commands(ctx))
        return super().list_commands(ctx)

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """Run the command; every error becomes a sentence and an exit code."""
        reset_mode()
        MODE.debug = os.environ.get("HOSTMASTER_DEBUG") == "1"
        words = list(sys.argv[1:] if args is None else args)

        def run() -> Any:
            # Help reads nothing; bootstrap hands the store over when it is done.
            asks_help = not words or "--help" in words or "-h" in words
            if not asks_help and _command_word(words) != "bootstrap":
                become_aegir(VAR_DIR)
            return super(HostmasterGroup, self).main(
                words, prog_name, complete_var, standalone_mode=False, **extra)

        code = run_guarded(run)
        if standalone_mode:
            sys.exit(code)
        return code


def _command_word(words: list[str]) -> str:
    """The command the words name (the first that is not an option)."""
    return next((word for word in words if not word.startswith("-")), "")


def run_guarded(run: Any) -> int:
    """Call ``run`` and turn how it ended into an exit code, saying every error in words."""
    try:
        result = run()
        return result if isinstance(result, int) else ExitCode.DONE
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.UsageError as error:
        error.show()
        return ExitCode.REFUSED  # bad input is refused input: 2 means a failed task
    except click.ClickException as error:
        if MODE.debug and error.__cause__ is not None:  # a user error made from another one
            traceback.print_exception(error.__cause__)
        error.show()
        return error.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("Stopped.", err=True)
        return ExitCode.INTERRUPTED
    except Exception as error:
        if MODE.debug:
            traceback.print_exc()
        refused = refusal(error)
        if refused is not None:
            refused.show()
            return ExitCode.REFUSED
        click.echo(f"Error: {fault_sentence(error)}", err=True)
        return ExitCode.FAULT


main = HostmasterGroup(
    create_app=_create_app, add_version_option=False, help="Hostmaster: the hosting control panel."
)
