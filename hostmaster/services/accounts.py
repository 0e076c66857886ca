"""Account mails: signed, expiring, one-time links that set a password (for a new account or
a reset), the mails that carry them, and the reset request that never says whether an
address has an account."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from string import Template

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from ..extensions import db
from ..models import MailStatus, OutgoingMail, User
from . import mail, outbox, rate_limits, settings, users

TOKEN_SALT = "hostmaster-password-link"
LINK_HOURS = 24
# Reset requests per remote address (they send mail, so they are limited like sign-ups).
RESET_BUCKET = "password-reset"
RESET_LIMIT = 5
RESET_WINDOW_SECONDS = 3600

RESET_SUBJECT = "Set a new password for Hostmaster"
RESET_BODY = """Hello $username,

Someone (we hope you) asked to set a new password for your Hostmaster account $username.
Set it with this link within $hours hours; the link works once:
$link

If you did not ask, ignore this mail: your password stays as it is.
"""
ADMIN_LINK_SUBJECT = "Set your password for Hostmaster"
ADMIN_LINK_BODY = """Hello $username,

An administrator of Hostmaster sent you this link to set the password of your account
$username. Set it within $hours hours; the link works once:
$link
"""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def _fingerprint(user: User) -> str:
    # The link names the password it replaces: once a password is set, the link is spent.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def password_token(user: User) -> str:
    """A signed token that sets ``user``'s password once, within LINK_HOURS."""
    return _serializer().dumps({"user": user.id, "was": _fingerprint(user)})


def user_for_token(token: str) -> User | None:
    """The user a token may set the password of; None when it is forged, expired or spent."""
    try:
        data = _serializer().loads(token, max_age=LINK_HOURS * 3600)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    user = db.session.get(User, data["user"])
    if user is None or not user.active or data.get("was") != _fingerprint(user):
        return None
    return user


def password_link(user: User) -> str:
    """The absolute address of ``user``'s password link (inside a request or not).

    Built from the panel's configured address (``settings.panel_url``, which holds any path
    the panel is served under), never from the request's Host header, so that nobody can have
    a reset mail point at their own server.
    """
    path = current_app.url_map.bind("").build(
        "account.set_password", {"token": password_token(user)})
    return settings.panel_url() + path


def render(template: str, values: dict[str, str]) -> str:
    """A mail template with its $placeholders filled; unknown ones stay as typed."""
    return Template(template).safe_substitute(values)


def send_password_mail(user: User, subject: str, body: str, purpose: str = "password",
                       **values: str) -> OutgoingMail:
    """Mail ``user`` a password link with this subject and body template, through the outbox;
    the row says whether it went (``status``) and why not (``last_error``)."""
    filled = {"username": user.username, "link": outbox.PASSWORD_LINK_MARKER,
              "hours": str(LINK_HOURS), **values}
    return outbox.send(user.email, render(subject, filled), render(body, filled), purpose,
                       link_user=user)


@dataclass(frozen=True)
class ResetRequest:
    """What came of a reset request: the seconds to wait when the address asked too often,
    and whether the mail could not be sent."""

    wait: int = 0
    mail_failed: bool = False


def request_reset(email: str, remote_address: str) -> ResetRequest:
    """Mail a password link to every account that uses ``email``.

    Says nothing about whether any account uses the address: when none does, the SMTP server
    is still asked whether it answers, so that a broken mail server reads the same for known
    and unknown addresses."""
    wait = rate_limits.attempt(RESET_BUCKET, remote_address, RESET_LIMIT, RESET_WINDOW_SECONDS)
    if wait:
        return ResetRequest(wait=wait)
    found = users.with_email(email)
    failed = False
    for user in found:
        sent = send_password_mail(user, RESET_SUBJECT, RESET_BODY)
        if sent.status != MailStatus.SENT:
            failed = True
            current_app.logger.warning("Password reset of %s: %s", user.username,
                                       outbox.failure(sent))
    if not found:
        failed = mail.check_connection() is not None
    return ResetRequest(mail_failed=failed)
