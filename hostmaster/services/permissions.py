"""Roles and their permission grants, as stored in ``role_permission``.

What each permission means and who may do what is decided in hostmaster/access/; this module
only reads and writes the grants: the built-in roles with their default grants (seeded by the
migration, by ``hostmaster bootstrap`` and whenever a built-in role is first created) and the
grid of the Administration → Permissions page.
"""

from __future__ import annotations

from sqlalchemy import select

from .. import access
from ..extensions import db
from ..models import Role, RolePermission
from .errors import ValidationError
from .transaction import transaction


def role(name: str) -> Role:
    """The role called ``name``, created (with its default grants) when it does not exist yet.
    The caller commits."""
    found = db.session.scalar(select(Role).where(Role.name == name))
    if found is None:
        found = Role(name=name)
        found.permissions = [RolePermission(permission=p)
                             for p in sorted(set(access.DEFAULT_GRANTS.get(name, ())))]
        db.session.add(found)
    return found


def seed_roles() -> list[str]:
    """Create the built-in roles that are missing, with their default grants, and commit.
    Roles that exist keep their grants as the administrator left them. Returns the names of the
    roles created."""
    existing = set(db.session.scalars(select(Role.name)))
    made = [name for name in access.ROLES if name not in existing]
    for name in made:
        role(name)
    db.session.commit()
    return made


def roles() -> list[Role]:
    """Every role: the built-in ones in their order, then the others by name."""
    order = {name: index for index, name in enumerate(access.ROLES)}
    found = list(db.session.scalars(select(Role)))
    return sorted(found, key=lambda r: (order.get(r.name, len(order)), r.name))


def grants() -> dict[str, set[str]]:
    """The permissions granted to each role, by role name (as stored)."""
    return {r.name: {grant.permission for grant in r.permissions} for r in roles()}


def set_grants(chosen: dict[str, set[str]]) -> None:
    """Store the grid: role name → the permissions it is granted; and commit.

    Refuses (changing nothing) unknown roles and permissions. The administrator role always
    holds every permission, so its row is not stored from the grid.
    """
    known_roles = {r.name: r for r in roles()}
    known = access.permission_names()
    errors: list[str] = []
    for name, names in chosen.items():
        if name not in known_roles:
            errors.append(f"There is no role called {name!r}.")
        errors.extend(f"There is no permission called {p!r}." for p in sorted(names - known))
    if errors:
        raise ValidationError.field("permissions", " ".join(errors))
    with transaction("The permissions were saved by another request at the same moment; "
                     "look at the grid again."):
        for name, names in chosen.items():
            if name == access.ADMINISTRATOR:
                continue
            current = known_roles[name]
            held = {g.permission for g in current.permissions}
            # Grants of permissions not on the grid (a plugin no longer installed) are kept.
            current.permissions = [g for g in current.permissions
                                   if g.permission in names or g.permission not in known]
            current.permissions.extend(RolePermission(permission=p)
                                       for p in sorted(names - held))
