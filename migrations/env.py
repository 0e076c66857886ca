"""Alembic environment: runs revisions against the store of the current Flask app."""

from __future__ import annotations

from alembic import context
from flask import current_app

target_db = current_app.extensions["migrate"].db
target_metadata = target_db.metadata


def run_migrations_offline() -> None:
    """Write the SQL of the revisions instead of running them."""
    context.configure(
        url=str(target_db.engine.url), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the revisions on the app's engine. Batch mode lets SQLite alter tables."""
    with target_db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
