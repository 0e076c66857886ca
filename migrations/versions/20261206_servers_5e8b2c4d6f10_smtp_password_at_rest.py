"""smtp password at rest: the SMTP password setting is kept encrypted, as the store's other
secrets are (hostmaster/store_secrets.py)

Revision ID: 5e8b2c4d6f10
Revises: 3c9f1a7b2d45
Create Date: 2026-12-06 09:30:00.000000

Upgrading encrypts a stored password with the key file (created when there is none);
downgrading writes it back in clear, and needs that key. No table changes: a setting's value
is JSON, and the encrypted password is a JSON string.
"""
import sqlalchemy as sa
from alembic import op

from hostmaster import store_secrets

# revision identifiers, used by Alembic.
revision = '5e8b2c4d6f10'
down_revision = '3c9f1a7b2d45'
branch_labels = None
depends_on = None

#: The settings that hold a secret (hostmaster/services/setting_registry.py, ``secret=True``).
SECRET_SETTINGS = ('smtp_password',)


def upgrade() -> None:
    store_secrets.create_key_file(store_secrets.key_file())
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('PRAGMA secure_delete = ON')  # no password in clear left in free pages
    _convert(store_secrets.encrypt, store_secrets.is_encrypted)


def downgrade() -> None:
    _convert(store_secrets.decrypt, lambda stored: not store_secrets.is_encrypted(stored))


def _convert(convert, done) -> None:
    """Rewrite each secret setting's non-empty value that is not ``done`` yet."""
    connection = op.get_bind()
    setting = sa.table('setting', sa.column('name', sa.String), sa.column('value', sa.JSON))
    found = connection.execute(sa.select(setting.c.name, setting.c.value)
                               .where(setting.c.name.in_(SECRET_SETTINGS))).all()
    for name, value in found:
        if isinstance(value, str) and value and not done(value):
            connection.execute(setting.update().where(setting.c.name == name)
                               .values(value=convert(value)))
