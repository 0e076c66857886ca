"""The REST API under ``/api/v1``: JSON in and out, authenticated by API tokens.

A request carries ``Authorization: Bearer <token>`` (tokens are made on the API tokens page,
hostmaster/api/token_views.py); it acts as the token's user with exactly that user's rights, as
the web interface decides them (hostmaster/access/): what the user may not see answers 404,
as if it did not exist. The OpenAPI document at ``/api/v1/openapi.json`` describes every
operation (hostmaster/api/openapi.py); the views are in hostmaster/api/views.py.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import views  # noqa: E402,F401  (the routes register on the blueprint)
