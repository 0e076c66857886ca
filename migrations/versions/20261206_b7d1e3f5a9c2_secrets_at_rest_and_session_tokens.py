"""secrets at rest and session tokens: encrypt db admin passwords, cron keys and login links
(hostmaster/store_secrets.py), drop them from task results, and give every account the
session token its sessions carry

Revision ID: b7d1e3f5a9c2
Revises: c5e7a9b1d3f4
Create Date: 2026-12-06 09:00:00.000000

Upgrading creates the key file (HOSTMASTER_SECRET_KEY_FILE, else var/secrets.key) when there
is none. Downgrading writes the secrets back in clear, and needs that key.
"""
import json
import secrets

import sqlalchemy as sa
from alembic import op

from hostmaster import store_secrets

# revision identifiers, used by Alembic.
revision = 'b7d1e3f5a9c2'
down_revision = 'c5e7a9b1d3f4'
branch_labels = None
depends_on = None

# (table, column, its length in clear) of every secret kept in its own column.
SECRET_COLUMNS = (
    ('server_service', 'db_password', 255),
    ('site', 'cron_key', 128),
    ('site', 'login_link', 2048),
)


def upgrade() -> None:
    store_secrets.create_key_file(store_secrets.key_file())
    _overwrite_freed_space()
    for table, column, length in SECRET_COLUMNS:
        _change_type(table, column, sa.String(length=length), sa.Text())
        _convert(table, column, store_secrets.encrypt, store_secrets.is_encrypted)
    _forget_secrets_in_task_results()
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('session_token', sa.String(length=64), nullable=False,
                                   server_default=''))
    connection = op.get_bind()
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    for (user_id,) in connection.execute(sa.select(user.c.id)).all():
        connection.execute(user.update().where(user.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(24)))


def downgrade() -> None:
    with op.batch_alter_table('user') as batch:
        batch.drop_column('session_token')
    for table, column, length in SECRET_COLUMNS:
        _convert(table, column, store_secrets.decrypt,
                 lambda stored: not store_secrets.is_encrypted(stored))
        _change_type(table, column, sa.Text(), sa.String(length=length))


def _change_type(table: str, column: str, old: sa.types.TypeEngine,
                 new: sa.types.TypeEngine) -> None:
    """An encrypted value is longer than the clear one. SQLite keeps any length in any text
    column, and changing a type there means copying the table, whose drop would delete the
    rows that refer to it (foreign keys are on): only MariaDB/MySQL is altered."""
    if op.get_bind().dialect.name == 'sqlite':
        return
    op.alter_column(table, column, existing_type=old, type_=new, existing_nullable=False)


def _overwrite_freed_space() -> None:
    """On SQLite, have the space of the values replaced zeroed, so that no secret in clear
    stays in the file's free pages (a copy of the file is a backup too)."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('PRAGMA secure_delete = ON')


def _convert(table: str, column: str, convert, done) -> None:
    """Rewrite each non-empty value of ``table.column`` that is not ``done`` yet."""
    connection = op.get_bind()
    rows = sa.table(table, sa.column('id', sa.Integer), sa.column(column, sa.Text))
    values = connection.execute(sa.select(rows.c.id, rows.c[column])).all()
    for row_id, value in values:
        if value and not done(value):
            connection.execute(rows.update().where(rows.c.id == row_id)
                               .values({column: convert(value)}))


def _forget_secrets_in_task_results() -> None:
    """Install and login-reset results kept the site's login link and cron key in clear (the
    site keeps them, encrypted)."""
    connection = op.get_bind()
    task = sa.table('task', sa.column('id', sa.Integer), sa.column('result', sa.Text))
    found = connection.execute(sa.select(task.c.id, task.c.result).where(sa.or_(
        task.c.result.like('%login_link%'), task.c.result.like('%cron_key%')))).all()
    for task_id, text in found:
        result = json.loads(text) if isinstance(text, str) else text
        if isinstance(result, dict) and {'login_link', 'cron_key'} & set(result):
            kept = {k: v for k, v in result.items() if k not in ('login_link', 'cron_key')}
            connection.execute(task.update().where(task.c.id == task_id)
                               .values(result=json.dumps(kept)))
