"""api tokens: per-user tokens of the REST API, stored as their SHA-256

Revision ID: a9c3e5f7b1d2
Revises: f6b2d8e0a5c7
Create Date: 2026-11-22 07:30:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = 'a9c3e5f7b1d2'
down_revision = 'f6b2d8e0a5c7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    timestamp = (
        sa.DateTime()
        .with_variant(mysql.DATETIME(fsp=6), 'mariadb')
        .with_variant(mysql.DATETIME(fsp=6), 'mysql')
    )
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('created_at', timestamp, nullable=False),
        sa.Column('last_used_at', timestamp, nullable=True),
        sa.Column('revoked_at', timestamp, nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash')),
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))
    op.drop_table('api_token')
