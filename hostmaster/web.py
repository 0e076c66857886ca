"""The web interface's blueprints, registered in one place."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register every blueprint of the web interface and the shared template helpers."""
    from .auth.views import bp as auth_bp
    from .dashboard.views import bp as dashboard_bp
    from .platforms.views import bp as platforms_bp
    from .public.views import bp as public_bp
    from .servers.views import bp as servers_bp
    from .sites.views import bp as sites_bp
    from .tasks.views import bp as tasks_bp
    from .ui import register_template_helpers

    blueprints = (auth_bp, dashboard_bp, servers_bp, platforms_bp, sites_bp, tasks_bp, public_bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    register_template_helpers(app)
