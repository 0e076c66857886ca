"""site schedule: per-site state of the backup and statistics queues, retention overrides,
latest statistics; an index for the cron queue's oldest-first pick

Revision ID: a3c9e1f0b7d2
Revises: 49a0c05f6fe7
Create Date: 2026-11-22 06:40:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = 'a3c9e1f0b7d2'
down_revision = '49a0c05f6fe7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    timestamp = (
        sa.DateTime()
        .with_variant(mysql.DATETIME(fsp=6), 'mariadb')
        .with_variant(mysql.DATETIME(fsp=6), 'mysql')
    )
    op.create_table(
        'site_schedule',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('last_backup_at', timestamp, nullable=True),
        sa.Column('last_statistics_at', timestamp, nullable=True),
        sa.Column('keep_last', sa.Integer(), nullable=True),
        sa.Column('keep_daily', sa.Integer(), nullable=True),
        sa.Column('keep_weekly', sa.Integer(), nullable=True),
        sa.Column('keep_monthly', sa.Integer(), nullable=True),
        sa.Column('users', sa.Integer(), nullable=False),
        sa.Column('active_users', sa.Integer(), nullable=False),
        sa.Column('content_items', sa.Integer(), nullable=False),
        sa.Column('comments', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['site_id'], ['site.id'], name=op.f('fk_site_schedule_site_id_site'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_site_schedule')),
    )
    with op.batch_alter_table('site_schedule', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_site_schedule_last_backup_at'), ['last_backup_at'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_site_schedule_last_statistics_at'), ['last_statistics_at'],
            unique=False,
        )
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.create_index('ix_site_status_last_cron_at', ['status', 'last_cron_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index('ix_site_status_last_cron_at')
    with op.batch_alter_table('site_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_schedule_last_statistics_at'))
        batch_op.drop_index(batch_op.f('ix_site_schedule_last_backup_at'))
    op.drop_table('site_schedule')
