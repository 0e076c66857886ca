"""outgoing mail: the outbox (status queued/sent/failed, attempts, last error)

Revision ID: 00eeb26ddef6
Revises: b7d1e3f5a9c2
Create Date: 2026-12-05 23:39:38.591456

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '00eeb26ddef6'
down_revision = 'b7d1e3f5a9c2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    timestamp = (
        sa.DateTime()
        .with_variant(mysql.DATETIME(fsp=6), 'mariadb')
        .with_variant(mysql.DATETIME(fsp=6), 'mysql')
    )
    op.create_table(
        'outgoing_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=64), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('link_user_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('created_at', timestamp, nullable=False),
        sa.Column('last_attempt_at', timestamp, nullable=True),
        sa.Column('sent_at', timestamp, nullable=True),
        sa.ForeignKeyConstraint(['link_user_id'], ['user.id'],
                                name=op.f('fk_outgoing_mail_link_user_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail')),
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_mail_status_id', ['status', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoing_mail_status_id')
    op.drop_table('outgoing_mail')
