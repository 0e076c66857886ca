"""Who holds what: the logged-in user behind a request, the permissions their roles grant
(the ``administrator`` role holds every one; visitors hold the ``anonymous`` role's), the
clients they act for, and the pages of optional features that answer 404 while switched off."""

from __future__ import annotations

from typing import Any

from flask import abort, has_request_context
from sqlalchemy import select

from ..extensions import db
from ..models import ClientUser, User
from .catalogue import ADMINISTRATOR, ANONYMOUS, DEFAULT_GRANTS


class CommandLine:
    """The ``hostmaster`` command line as a viewer. Whoever runs it has the store's credentials
    and could change any row directly, so it sees everything and may do everything; the
    tasks it queues are queued by nobody, as the system's are."""


COMMAND_LINE = CommandLine()


def logged_in(user: Any) -> User | None:
    """The logged-in User behind ``user`` (a LocalProxy, an anonymous user, None)."""
    if user is None:
        return None
    if hasattr(user, "_get_current_object"):
        user = user._get_current_object()
    return user if isinstance(user, User) and user.is_active else None


def current() -> Any:
    """The current user (Flask-Login's proxy) inside a request, else None."""
    from flask_login import current_user

    return current_user if has_request_context() else None


def _anonymous_grants() -> set[str]:
    from ..models import Role

    role = db.session.scalar(select(Role).where(Role.name == ANONYMOUS))
    if role is None:  # never stored (a store made before roles were seeded): the defaults
        return set(DEFAULT_GRANTS[ANONYMOUS])
    return {grant.permission for grant in role.permissions}


def is_administrator(user: Any) -> bool:
    """The user holds the administrator role (and so every permission)."""
    if user is COMMAND_LINE:
        return True
    found = logged_in(user)
    return found is not None and any(role.name == ADMINISTRATOR for role in found.roles)


def can(user: Any, permission: str) -> bool:
    """The user (or, for None and anonymous visitors, the anonymous role) holds ``permission``."""
    if user is COMMAND_LINE:
        return True
    found = logged_in(user)
    if found is None:
        return permission in _anonymous_grants()
    if is_administrator(found):
        return True
    return any(grant.permission == permission for role in found.roles
               for grant in role.permissions)


def require(permission: str, user: Any = None) -> None:
    """Abort with 404 unless the user (the current one by default) holds ``permission``."""
    if not can(user if user is not None else current(), permission):
        abort(404)


def require_feature(name: str) -> None:
    """Abort with 404 while feature ``name`` is switched off."""
    from ..services import features

    if not features.enabled(name):
        abort(404)


def client_ids(user: Any) -> set[int]:
    """The ids of the clients the user acts for."""
    found = logged_in(user)
    if found is None:
        return set()
    return set(db.session.scalars(select(ClientUser.client_id).where(
        ClientUser.user_id == found.id)))


# --- pages of optional features -----------------------------------------------------------------

#: The pages that belong to a feature: an endpoint, or a blueprint name and a dot, → feature.
FEATURE_PAGES: dict[str, str] = {
    "clients.": "clients",
    "signup.": "signup",
    "sites.compare": "migrate",
    "platform_migrate.": "migrate",
    "platforms.clients": "clients",
}


def feature_of(endpoint: str | None) -> str | None:
    """The feature the page ``endpoint`` belongs to, if any."""
    if not endpoint:
        return None
    for prefix, feature in FEATURE_PAGES.items():
        if endpoint == prefix or (prefix.endswith(".") and endpoint.startswith(prefix)):
            return feature
    return None


def refuse_pages_of_off_features() -> None:
    """Before every request: 404 for a page whose feature is switched off."""
    from flask import request

    feature = feature_of(request.endpoint)
    if feature is not None:
        require_feature(feature)
