"""``provision @site statistics``: the site's users, active users, content and comments, read
with SQL from the site's own database (no bootstrap of the application needed).

- users: accounts that can log in (Drupal: uid > 0; WordPress: every row of ``wp_users``);
- active_users: accounts seen in the last 30 days (Drupal: ``access``; WordPress: a login
  session started in that time, from the ``session_tokens`` user meta);
- content_items: nodes (Drupal) or published posts and pages (WordPress);
- comments: comments (Drupal) or approved comments (WordPress).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..apps.phpserial import unserialize
from ..errors import ApplicationError
from ..services.db.connection import Credentials, connect
from ..sites.steps import site_credentials, site_of
from . import Invocation

if TYPE_CHECKING:
    from ..contexts.model import SiteContext

CONTEXT = "required"
ACTIVE_DAYS = 30
WP_PREFIX = "wp_"  # provision's wp-site.php always uses this table prefix

_DRUPAL7 = {
    "users": "SELECT COUNT(*) FROM users WHERE uid > 0",
    "active_users": "SELECT COUNT(*) FROM users WHERE uid > 0 AND access >= %s",
    "content_items": "SELECT COUNT(*) FROM node",
    "comments": "SELECT COUNT(*) FROM comment",
}
_DRUPAL8 = {
    "users": "SELECT COUNT(*) FROM users_field_data WHERE uid > 0",
    "active_users": "SELECT COUNT(*) FROM users_field_data WHERE uid > 0 AND access >= %s",
    "content_items": "SELECT COUNT(*) FROM node",
    "comments": "SELECT COUNT(*) FROM comment_field_data WHERE default_langcode = 1",
}
_WORDPRESS = {
    "users": f"SELECT COUNT(*) FROM {WP_PREFIX}users",
    "content_items": f"SELECT COUNT(*) FROM {WP_PREFIX}posts WHERE post_type IN ('post', 'page') "
    "AND post_status = 'publish'",
    "comments": f"SELECT COUNT(*) FROM {WP_PREFIX}comments WHERE comment_approved = '1'",
}
_WORDPRESS_SESSIONS = (
    f"SELECT user_id, meta_value FROM {WP_PREFIX}usermeta WHERE meta_key = 'session_tokens'"
)


def run(invocation: Invocation) -> dict[str, Any]:
    """Read the four numbers; the result holds them and the time they were read."""
    site = site_of(invocation)
    now = int(time.time())
    since = now - ACTIVE_DAYS * 86400
    kind = site.driver.kind
    if kind == "wordpress":
        numbers = {key: _count(site, sql) for key, sql in _WORDPRESS.items()}
        numbers["active_users"] = _wordpress_active(site, since)
    elif kind == "drupal":
        queries = _DRUPAL7 if site.driver.core == "7" else _DRUPAL8
        numbers = {
            key: _count(site, sql, (since,) if "%s" in sql else ())
            for key, sql in queries.items()
        }
    else:
        raise ApplicationError(
            f"provision cannot read statistics of a {kind} site ({site.uri}) yet."
        )
    invocation.logger.success(
        f"{site.uri}: {numbers['users']} users ({numbers['active_users']} active in the last "
        f"{ACTIVE_DAYS} days), {numbers['content_items']} content items, "
        f"{numbers['comments']} comments."
    )
    return {**numbers, "taken_at": now}


def _count(site: SiteContext, sql: str, params: tuple[Any, ...] = ()) -> int:
    rows = site_query(site, sql, params)
    return int(rows[0][0]) if rows else 0


def _wordpress_active(site: SiteContext, since: int) -> int:
    """Users with a login session started at or after ``since``."""
    active = 0
    for _user, value in site_query(site, _WORDPRESS_SESSIONS):
        sessions = unserialize(value)
        if isinstance(sessions, dict) and any(
            isinstance(session, dict) and int(session.get("login") or 0) >= since
            for session in sessions.values()
        ):
            active += 1
    return active


def site_query(site: SiteContext, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` run in the site's database as the site's own user; ApplicationError
    naming the site when it cannot be read."""
    credentials = site_credentials(site)
    account = Credentials(
        credentials.host, credentials.port, credentials.user, credentials.password
    )
    connection = connect(account, database=credentials.name)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or None)
            return [tuple(row) for row in cursor.fetchall()]
    except Exception as error:  # PyMySQL's errors: a missing table means no application there
        raise ApplicationError(
            f"The database {credentials.name} of {site.uri} could not be read ({error}); "
            "verify the site, or install it if its database is empty."
        ) from None
    finally:
        connection.close()
