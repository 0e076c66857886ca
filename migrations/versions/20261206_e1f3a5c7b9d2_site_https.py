"""site https: a site's HTTPS mode and HSTS, the facts of the certificate it serves, and the
renewal queue's back-off

Revision ID: e1f3a5c7b9d2
Revises: 5e8b2c4d6f10
Create Date: 2026-12-06 09:40:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = 'e1f3a5c7b9d2'
down_revision = '5e8b2c4d6f10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    timestamp = (
        sa.DateTime()
        .with_variant(mysql.DATETIME(fsp=6), 'mariadb')
        .with_variant(mysql.DATETIME(fsp=6), 'mysql')
    )
    op.create_table(
        'site_https',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(length=8), nullable=False),
        sa.Column('hsts', sa.Boolean(), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('expires_at', timestamp, nullable=True),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('serial', sa.String(length=64), nullable=False),
        sa.Column('self_signed', sa.Boolean(), nullable=False),
        sa.Column('names', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('failed_at', timestamp, nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('retry_at', timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ['site_id'], ['site.id'], name=op.f('fk_site_https_site_id_site'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_site_https')),
    )
    with op.batch_alter_table('site_https', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_https_expires_at'), ['expires_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('site_https', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_https_expires_at'))
    op.drop_table('site_https')
