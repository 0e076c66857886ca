"""role permissions: the permissions granted to each role, with the built-in roles' defaults

Revision ID: e4a7c1d9f2b3
Revises: d2f6a8c4e1b9
Create Date: 2026-11-22 07:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e4a7c1d9f2b3'
down_revision = 'd2f6a8c4e1b9'
branch_labels = None
depends_on = None

# The default grants as they were when this revision was written (hostmaster/access.py keeps
# the current ones; a revision is a snapshot and does not import the application).
_CLIENT_TASKS = ('backup', 'restore', 'disable', 'enable', 'delete', 'verify', 'login-reset',
                 'backup-delete', 'migrate', 'clone')
_PLATFORM_TASKS = ('verify', 'lock', 'unlock', 'delete', 'migrate')
DEFAULT_GRANTS = {
    'client': (
        'create site', 'view site', 'edit site', 'delete site', 'create site aliases',
        'view platform', 'view client', 'edit own client', 'view package', 'view task',
        'view own tasks', 'access task logs', 'cancel own tasks', 'retry failed tasks',
        *(f'create {name} task' for name in _CLIENT_TASKS),
    ),
    'account manager': (
        'create client', 'view client', 'edit own client', 'administer clients',
        'edit client users', 'edit client uname', 'view platform', 'view task',
        'access task logs',
    ),
    'platform manager': (
        'create platform', 'view platform', 'edit platform', 'delete platform',
        'administer platforms', 'view locked platforms', 'create sites on locked platforms',
        'view server', 'view package', 'view task', 'view own tasks', 'access task logs',
        'cancel own tasks', 'retry failed tasks',
        *(f'create {name} task' for name in _PLATFORM_TASKS),
    ),
    'administrator': (),  # holds every permission whatever is stored
    'anonymous': ('access hosting signup form',),
}


def upgrade() -> None:
    op.create_table('role_permission',
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('permission', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], name=op.f('fk_role_permission_role_id_role'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_id', 'permission', name=op.f('pk_role_permission'))
    )
    _seed_default_grants()


def _seed_default_grants() -> None:
    """Create the built-in roles that are missing; grant the defaults to those with no grant."""
    connection = op.get_bind()
    role = sa.table('role', sa.column('id', sa.Integer), sa.column('name', sa.String))
    grant = sa.table('role_permission', sa.column('role_id', sa.Integer),
                     sa.column('permission', sa.String))
    for name, permissions in DEFAULT_GRANTS.items():
        role_id = connection.scalar(sa.select(role.c.id).where(role.c.name == name))
        if role_id is None:
            connection.execute(role.insert().values(name=name))
            role_id = connection.scalar(sa.select(role.c.id).where(role.c.name == name))
        if permissions:
            connection.execute(grant.insert(), [
                {'role_id': role_id, 'permission': permission}
                for permission in sorted(set(permissions))
            ])


def downgrade() -> None:
    op.drop_table('role_permission')
