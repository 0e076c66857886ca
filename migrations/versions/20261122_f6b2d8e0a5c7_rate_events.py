"""rate events: attempts counted by the sign-up and reset rate limits and the login lockout

Revision ID: f6b2d8e0a5c7
Revises: e4a7c1d9f2b3
Create Date: 2026-11-22 07:20:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = 'f6b2d8e0a5c7'
down_revision = 'e4a7c1d9f2b3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    timestamp = (
        sa.DateTime()
        .with_variant(mysql.DATETIME(fsp=6), 'mariadb')
        .with_variant(mysql.DATETIME(fsp=6), 'mysql')
    )
    op.create_table(
        'rate_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bucket', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('created_at', timestamp, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_event')),
    )
    with op.batch_alter_table('rate_event', schema=None) as batch_op:
        batch_op.create_index(
            'ix_rate_event_bucket_key_created_at', ['bucket', 'key', 'created_at'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_rate_event_created_at'), ['created_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('rate_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_event_created_at'))
        batch_op.drop_index('ix_rate_event_bucket_key_created_at')
    op.drop_table('rate_event')
