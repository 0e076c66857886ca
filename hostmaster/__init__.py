"""hostmaster: the Flask front end of the hosting system.

``create_app`` builds the web application; the dispatcher and the CLI use the same factory so
that every process shares one configuration and one store.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from .config import PROJECT_ROOT, default_config, secret_key


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, database engine options, blueprints."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure_app(app, config)
    make_store_files_private(app)
    configure_http_security(app)
    configure_extensions(app)
    configure_url_map(app)
    register_blueprints(app)
    register_cli(app)
    register_task_types()
    return app


def configure_app(app: Flask, config: dict[str, Any] | None) -> None:
    """Defaults, then the caller's mapping; a signing key from var/ only when none was given."""
    app.config.from_mapping(default_config())
    if config:
        app.config.from_mapping(config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secret_key()
        app.config["SECRET_KEY_FROM_FILE"] = not os.environ.get("HOSTMASTER_SECRET_KEY")
    from .store import engine_options

    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )


def make_store_files_private(app: Flask) -> None:
    """The SQLite store, its folder and the key files: 0600/0700, with a log line for each
    one that had to be changed (hostmaster/store.py)."""
    from .config import VAR_DIR
    from .store import make_store_private

    key_files = [Path(app.config["SECRETS_KEY_FILE"])]
    if app.config.get("SECRET_KEY_FROM_FILE"):
        key_files.append(VAR_DIR / "secret_key")
    for sentence in make_store_private(app.config["SQLALCHEMY_DATABASE_URI"], VAR_DIR,
                                       key_files):
        app.logger.warning("%s", sentence)


def configure_http_security(app: Flask) -> None:
    """Proxies, Secure cookies and HSTS (hostmaster/http_security.py)."""
    from .http_security import configure_http_security as configure

    configure(app)


def configure_extensions(app: Flask) -> None:
    """Bind the extension singletons to this app."""
    from .extensions import csrf, db, login_manager, migrate
    from .store import configure_sqlite

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    with app.app_context():
        configure_sqlite(db.engine)


class StoreIdConverter(IntegerConverter):
    """``<int:...>`` in every route: a whole number up to MAX_ID (the largest id the store
    holds), so a longer number in a path answers 404 instead of overflowing a query. At most
    ten digits match at all: a longer number is no route's, whatever the method (werkzeug
    answered 405 for it when another method's route had the same path)."""

    regex = r"\d{1,10}"

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        from .models import MAX_ID

        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def configure_url_map(app: Flask) -> None:
    """Routes' ``int`` parts are store ids (StoreIdConverter)."""
    app.url_map.converters["int"] = StoreIdConverter


def register_blueprints(app: Flask) -> None:
    """Register the web interface's blueprints."""
    from .web import register

    register(app)


def register_task_types() -> None:
    """The built-in task types, then the installed plugins' task types and batch queues."""
    from .plugins import register_extensions
    from .tasks.builtin import register_builtin_types

    register_builtin_types()
    register_extensions()


def register_cli(app: Flask) -> None:
    """Add the hostmaster commands to ``flask`` as well (the ``hostmaster`` script has them too)."""
    from .cli import commands

    for command in commands():
        app.cli.add_command(command)
