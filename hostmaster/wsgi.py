"""The WSGI entry point for gunicorn: ``gunicorn hostmaster.wsgi:app``."""

from hostmaster import create_app

app = create_app()
