"""server ssh: how provision logs in to a remote server (user, port, key file)

Revision ID: c5e7a9b1d3f4
Revises: a9c3e5f7b1d2
Create Date: 2026-11-22 10:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5e7a9b1d3f4'
down_revision = 'a9c3e5f7b1d2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('server') as batch:
        batch.add_column(sa.Column('ssh_user', sa.String(length=64), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('ssh_port', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('ssh_key_file', sa.String(length=1024), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('server') as batch:
        batch.drop_column('ssh_key_file')
        batch.drop_column('ssh_port')
        batch.drop_column('ssh_user')
