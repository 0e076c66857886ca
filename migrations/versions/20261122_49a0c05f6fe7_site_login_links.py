"""site login links: the cached one-time login link of a site and its expiry

Revision ID: 49a0c05f6fe7
Revises: 8c6bc8c613cb
Create Date: 2026-11-22 04:51:11.971952

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '49a0c05f6fe7'
down_revision = '8c6bc8c613cb'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('login_link', sa.String(length=2048), nullable=False, server_default='')
        )
        timestamp = (
            sa.DateTime()
            .with_variant(mysql.DATETIME(fsp=6), 'mariadb')
            .with_variant(mysql.DATETIME(fsp=6), 'mysql')
        )
        batch_op.add_column(sa.Column('login_link_expires_at', timestamp, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('login_link_expires_at')
        batch_op.drop_column('login_link')
