"""The ``hostmaster`` command: the store, users, servers, tasks, the dispatcher, and serving.

It is a Flask CLI group built on ``create_app``, so ``hostmaster db upgrade`` (Flask-Migrate)
and every command below share the app's configuration (``HOSTMASTER_*`` variables).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import Task, TaskStatus

user_cli = AppGroup("user", help="Manage user accounts.")
server_cli = AppGroup("server", help="Manage servers.")
feature_cli = AppGroup("feature", help="Switch optional features and installed plugins.")
task_cli = AppGroup("task", help="Look at tasks.")


def _fail(message: str) -> None:
    raise click.ClickException(message)


@user_cli.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, default=["administrator"], show_default=True)
@click.password_option(help="Asked for when not given (keep it off the command line).")
def user_create(username: str, email: str, roles: tuple[str, ...], password: str) -> None:
    """Create a user account."""
    from .services import users
    from .services.errors import ValidationError

    try:
        users.create_user(username, email, password, roles=list(roles))
    except ValidationError as exc:
        _fail(str(exc))
    click.echo(f"User {username} created.")


@server_cli.command("add")
@click.argument("hostname")
@click.option("--human-name", default="")
@click.option("--ip", "ips", multiple=True, help="An IP address of the server (repeatable).")
@click.option("--http", "http_type", type=click.Choice(["apache", "nginx", "null"]), default="null")
@click.option("--http-port", type=int)
@click.option("--http-restart-cmd", default="")
@click.option("--http-configtest-cmd", default="")
@click.option("--http-include-dir", default="")
@click.option("--db", "db_type", type=click.Choice(["mysql", "null"]), default="null")
@click.option("--db-host", default="")
@click.option("--db-port", type=int)
@click.option("--db-socket", default="")
@click.option("--db-user", default="")
@click.option("--ssh-user", default="", help="A remote server's SSH user (default: yours).")
@click.option("--ssh-port", type=int, help="A remote server's SSH port (default: 22).")
@click.option("--ssh-key-file", default="", help="The private key provision logs in with.")
@click.option("--master", is_flag=True, help="Register it as @server_master.")
def server_add(
    hostname: str,
    human_name: str,
    ips: tuple[str, ...],
    http_type: str,
    http_port: int | None,
    http_restart_cmd: str,
    http_configtest_cmd: str,
    http_include_dir: str,
    db_type: str,
    db_host: str,
    db_port: int | None,
    db_socket: str,
    db_user: str,
    ssh_user: str,
    ssh_port: int | None,
    ssh_key_file: str,
    master: bool,
) -> None:
    """Register a server and queue its verify.

    The database admin password is read from the environment variable HOSTMASTER_DB_PASSWORD
    or asked for, never taken from the command line.
    """
    from .services.errors import ValidationError
    from .services.servers import ServiceSpec, SshSpec, create_server

    db_password = ""
    if db_type == "mysql":
        db_password = os.environ.get("HOSTMASTER_DB_PASSWORD") or click.prompt(
            "Database admin password", hide_input=True
        )
    services = {
        "http": ServiceSpec(
            http_type,
            http_port,
            http_restart_cmd,
            options={
                "http_configtest_cmd": http_configtest_cmd,
                "http_include_dir": http_include_dir,
            },
        ),
        "db": ServiceSpec(
            db_type,
            db_port,
            db_user=db_user,
            db_password=db_password,
            options={"db_host": db_host, "db_socket": db_socket},
        ),
    }
    try:
        server = create_server(
            hostname,
            human_name=human_name,
            ip_addresses=list(ips),
            services=services,
            ssh=SshSpec(ssh_user, ssh_port, ssh_key_file),
            master=master,
        )
    except ValidationError as exc:
        _fail(str(exc))
    click.echo(f"Server {server.hostname} added (id {server.id}); its verify task is queued.")


@task_cli.command("list")
@click.option("--status", type=click.Choice([s.name.lower() for s in TaskStatus]))
@click.option("--limit", default=20, show_default=True)
def task_list(status: str | None, limit: int) -> None:
    """List the newest tasks."""
    from .services.tasks import entity_of

    query = select(Task).order_by(Task.id.desc()).limit(limit)
    if status:
        query = query.where(Task.status == TaskStatus[status.upper()])
    for task in db.session.scalars(query):
        entity = entity_of(task)
        title = entity.title if entity is not None else f"{task.entity_kind} {task.entity_id}"
        click.echo(f"{task.id:>6}  {task.status.name:<10}  {task.type:<10}  {title}")


@click.command("dispatch")
@with_appcontext
@click.option("--daemon", is_flag=True, help="Keep polling until SIGTERM instead of one pass.")
def dispatch(daemon: bool) -> None:
    """Run queued tasks: one pass (for cron), or as a daemon."""
    from .dispatcher import dispatch_once, run_daemon

    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    faults = run_daemon(app) if daemon else dispatch_once(app)
    sys.exit(1 if faults else 0)


@feature_cli.command("list")
def feature_list() -> None:
    """Every feature, whether it is on, and what it does."""
    from .services import features

    for name, spec in sorted(features.known().items()):
        state = "on " if features.enabled(name) else "off"
        click.echo(f"{state}  {name}: {spec.title}. {spec.description}".rstrip())


@feature_cli.command("enable")
@click.argument("name")
def feature_enable(name: str) -> None:
    """Switch feature NAME on."""
    _switch_feature(name, True)


@feature_cli.command("disable")
@click.argument("name")
def feature_disable(name: str) -> None:
    """Switch feature NAME off."""
    _switch_feature(name, False)


def _switch_feature(name: str, on: bool) -> None:
    from .services import features
    from .services.errors import ValidationError

    try:
        features.switch(name, on)
    except ValidationError as exc:
        _fail(str(exc))
    click.echo(f"Feature {name} is {'on' if on else 'off'}.")


@click.command("import")
@click.argument("context")
@click.option("--no-verify", is_flag=True, help="Do not queue a verify of what is imported.")
@with_appcontext
def import_context(context: str, no_verify: bool) -> None:
    """Make a provision context (and those it refers to) records of the front end."""
    from .services.context_import import import_context as run_import
    from .services.errors import ValidationError

    try:
        imported = run_import(context, verify=not no_verify)
    except ValidationError as exc:
        _fail(str(exc))
    for done in imported:
        verb = "Created" if done.created else "Updated"
        queued = "; its verify is queued" if done.verify_queued else ""
        click.echo(f"{verb} {done.entity.entity_kind} {done.entity.title} from "
                   f"{done.context}{queued}.")


@click.command("bootstrap")
@with_appcontext
def bootstrap() -> None:
    """Create the store, the admin account and @server_master (with its verify queued)."""
    from flask_migrate import upgrade

    from .services import bootstrap as setup
    from .services import permissions

    upgrade()
    for role in permissions.seed_roles():
        click.echo(f"Role '{role}' created with its default permissions.")
    password = setup.create_admin()
    if password:
        click.echo(f"Admin account created: user 'admin', password '{password}' (shown once).")
    server, detected = setup.register_master()
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


@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("HOSTMASTER_HOST", "127.0.0.1"))
@click.option("--port", default=lambda: int(os.environ.get("HOSTMASTER_PORT", "5000")), type=int)
@click.option("--workers", default=2, show_default=True)
@click.option("--threads", default=8, show_default=True,
              help="Threads per worker: open live logs each hold one for up to 25 s.")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web UI (gunicorn) with a dispatcher daemon beside it, until Ctrl-C."""
    bindir = os.path.dirname(sys.executable)
    children = [
        subprocess.Popen([os.path.join(bindir, "hostmaster"), "dispatch", "--daemon"]),
        subprocess.Popen(
            [
                os.path.join(bindir, "gunicorn"),
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--bind",
                f"{host}:{port}",
                "hostmaster.wsgi:app",
            ]
        ),
    ]
    click.echo(f"Hostmaster is at http://{host}:{port}/ (Ctrl-C stops it).")

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


def commands() -> list[click.Command]:
    """The commands create_app adds to the app's CLI."""
    from .cli_dispatch import commands as dispatch_control_commands
    from .cli_settings import commands as settings_commands

    own = [user_cli, server_cli, task_cli, feature_cli, dispatch, import_context, bootstrap,
           serve]
    return [*own, *dispatch_control_commands(), *settings_commands()]


def _create_app() -> Any:
    from . import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app, add_version_option=False, help="Hostmaster: the hosting control panel."
)
