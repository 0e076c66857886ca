"""The web interface's blueprints, registered in one place."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register every blueprint of the web interface and the shared template helpers."""
    from .auth.views import bp as auth_bp
    from .dashboard.views import bp as dashboard_bp
    from .platforms.migrate_views import bp as platform_migrate_bp
    from .platforms.views import bp as platforms_bp
    from .public.views import bp as public_bp
    from .queues.views import bp as queues_bp
    from .servers.views import bp as servers_bp
    from .sites import https_views  # noqa: F401  (the site's HTTPS page, on the sites blueprint)
    from .sites.views import bp as sites_bp
    from .tasks.views import bp as tasks_bp
    from .ui import register_template_helpers

    blueprints = (auth_bp, dashboard_bp, servers_bp, platforms_bp, sites_bp, tasks_bp, public_bp,
                  queues_bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.register_blueprint(platform_migrate_bp)  # the platform "Migrate sites" dialog
    from .account.views import bp as account_bp
    from .clients.views import bp as clients_bp
    from .signup.views import bp as signup_bp

    for blueprint in (account_bp, clients_bp, signup_bp):  # clients, sign-up and accounts
        app.register_blueprint(blueprint)
    from .api import bp as api_bp
    from .api.token_views import bp as api_tokens_bp

    app.register_blueprint(api_bp)  # the REST API: its own token authentication, no CSRF
    app.register_blueprint(api_tokens_bp)
    from .admin.views import bp as admin_bp

    app.register_blueprint(admin_bp)  # administration: permissions and features
    from .doctor.views import bp as doctor_bp
    from .outbox.views import bp as outbox_bp
    from .settings.views import bp as settings_bp
    from .users.views import bp as users_bp

    # administration: orphans, settings, mails, accounts
    for blueprint in (doctor_bp, settings_bp, outbox_bp, users_bp):
        app.register_blueprint(blueprint)
    register_template_helpers(app)
