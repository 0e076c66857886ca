"""The Alembic revisions build exactly the schema the models describe, on both stores."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from hostmaster.extensions import db


def test_the_migrated_store_matches_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
