"""encrypted mail bodies: the outbox keeps each mail's body encrypted (a mail may carry a
site's one-time login link)

Revision ID: 3c9f1a7b2d45
Revises: 00eeb26ddef6
Create Date: 2026-12-06 04:00:00.000000

Upgrading encrypts the bodies with the key file (created when there is none); downgrading
writes them back in clear, and needs that key.
"""
import sqlalchemy as sa
from alembic import op

from hostmaster import store_secrets

# revision identifiers, used by Alembic.
revision = '3c9f1a7b2d45'
down_revision = '00eeb26ddef6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    store_secrets.create_key_file(store_secrets.key_file())
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('PRAGMA secure_delete = ON')  # no body in clear left in free pages
    _convert(store_secrets.encrypt, store_secrets.is_encrypted)


def downgrade() -> None:
    _convert(store_secrets.decrypt, lambda stored: not store_secrets.is_encrypted(stored))


def _convert(convert, done) -> None:
    """Rewrite each non-empty body that is not ``done`` yet."""
    connection = op.get_bind()
    mail = sa.table('outgoing_mail', sa.column('id', sa.Integer), sa.column('body', sa.Text))
    for mail_id, body in connection.execute(sa.select(mail.c.id, mail.c.body)).all():
        if body and not done(body):
            connection.execute(mail.update().where(mail.c.id == mail_id)
                               .values(body=convert(body)))
