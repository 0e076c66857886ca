"""plugin fields: the values of the fields plugins add to server, platform and site forms

Revision ID: d2f6a8c4e1b9
Revises: a3c9e1f0b7d2
Create Date: 2026-11-22 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd2f6a8c4e1b9'
down_revision = 'a3c9e1f0b7d2'
branch_labels = None
depends_on = None

TABLES = ('server', 'platform', 'site')


def upgrade() -> None:
    for table in TABLES:
        # Added empty, filled with {} for the rows there are, then made NOT NULL.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('plugin_fields', sa.JSON(), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET plugin_fields = '{{}}'"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('plugin_fields', existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('plugin_fields')
