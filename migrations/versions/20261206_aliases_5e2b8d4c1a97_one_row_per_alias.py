"""one row per alias: a site has each alias once (served or redirecting, each on its own)

Revision ID: 5e2b8d4c1a97
Revises: e1f3a5c7b9d2
Create Date: 2026-12-06 10:00:00.000000

Each alias row already carries its own ``redirection`` and ``automatic`` flags (the site-wide
"redirect aliases" choice was stored as the same flag on every alias of the site, so every
alias keeps the behaviour it had). Upgrading removes repeated rows of one alias of one site,
keeping the first, and adds the unique constraint; downgrading drops the constraint (on
MariaDB after giving the site_id foreign key an index of its own).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e2b8d4c1a97'
down_revision = 'e1f3a5c7b9d2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    alias = sa.table('site_alias', sa.column('id', sa.Integer), sa.column('site_id', sa.Integer),
                     sa.column('alias', sa.String))
    seen: set[tuple[int, str]] = set()
    repeated: list[int] = []
    rows = connection.execute(sa.select(alias.c.id, alias.c.site_id, alias.c.alias)
                              .order_by(alias.c.id))
    for row_id, site_id, name in rows.all():
        if (site_id, name) in seen:
            repeated.append(row_id)
        seen.add((site_id, name))
    if repeated:
        connection.execute(alias.delete().where(alias.c.id.in_(repeated)))
    with op.batch_alter_table('site_alias', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_site_alias_site_id'),
                                          ['site_id', 'alias'])


def downgrade() -> None:
    if op.get_bind().dialect.name in ('mysql', 'mariadb'):
        # InnoDB let the unique key carry the site_id foreign key (and dropped the index it had
        # made for it): the key needs an index of its own before the unique key can go.
        op.execute('CREATE INDEX IF NOT EXISTS ix_site_alias_site_id ON site_alias (site_id)')
    with op.batch_alter_table('site_alias', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_site_alias_site_id'), type_='unique')
