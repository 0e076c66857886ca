"""The outbox: every mail the panel sends is kept as an ``OutgoingMail`` row (queued, sent or
failed, with its attempts and last error), so that a failed send is never silent: the page or
task that sent it says so, and the administrator sees it on the Outbox page and sends it again.

A mail carrying a password link stores a marker in place of the link and the user it is for;
the link is made fresh at each try (``attempt``), so no link rests in the store and a resend
never carries an expired one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from ..extensions import db
from ..models import MailStatus, OutgoingMail, User, utcnow
from . import mail

PASSWORD_LINK_MARKER = "[a link to set the password, made when the mail is sent]"
#: What the purposes of mails are called on the Outbox page.
PURPOSES = {
    "password": "Password link",
    "client welcome": "New client's account",
    "sign-up": "Sign-up",
    "site welcome": "New site's login link",
    "test": "Test mail",
}


def attempt(outgoing: OutgoingMail) -> bool:
    """Try to send ``outgoing`` once; record the try (status, attempts, last error). True when
    the SMTP server took it. Commits nothing."""
    body = outgoing.body
    if outgoing.link_user_id is not None and PASSWORD_LINK_MARKER in body:
        from .accounts import password_link

        user = db.session.get(User, outgoing.link_user_id)
        if user is None:
            _record(outgoing, "the account it was for no longer exists")
            return False
        body = body.replace(PASSWORD_LINK_MARKER, password_link(user))
    problem = mail.deliver(mail.message(outgoing.recipient, outgoing.subject, body))
    _record(outgoing, problem)
    return problem is None


def _record(outgoing: OutgoingMail, problem: str | None) -> None:
    now = utcnow()
    outgoing.attempts = (outgoing.attempts or 0) + 1
    outgoing.last_attempt_at = now
    if problem is None:
        outgoing.status, outgoing.sent_at, outgoing.last_error = MailStatus.SENT, now, ""
    else:
        outgoing.status, outgoing.last_error = MailStatus.FAILED, problem[:2000]


def send(recipient: str, subject: str, body: str, purpose: str, *,
         link_user: User | None = None, commit: bool = True) -> OutgoingMail:
    """Keep a mail in the outbox and try to send it at once; the row says how it went.

    ``link_user``: the body holds ``PASSWORD_LINK_MARKER`` where that user's password link
    goes. With ``commit`` the mail is stored (as queued) before the try and again after it;
    without, the caller's transaction keeps both (a task's result handler).
    """
    outgoing = OutgoingMail(
        purpose=purpose, recipient=recipient, subject=subject[:255], body=body,
        link_user_id=link_user.id if link_user is not None else None,
        status=MailStatus.QUEUED, attempts=0, last_error="",
    )
    db.session.add(outgoing)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    attempt(outgoing)
    if commit:
        db.session.commit()
    return outgoing


def resend(outgoing: OutgoingMail) -> bool:
    """Try a queued or failed mail again (and commit); True when it went."""
    went = attempt(outgoing)
    db.session.commit()
    return went


def failure(outgoing: OutgoingMail) -> str:
    """A sentence for the administrator: which mail failed, and why."""
    return f"The mail to {outgoing.recipient} could not be sent: {outgoing.last_error}."


def mails(status: MailStatus | None = None) -> Select[Any]:
    """The outbox's mails, newest first (only those of ``status``, when given)."""
    query = select(OutgoingMail).order_by(OutgoingMail.id.desc())
    return query if status is None else query.where(OutgoingMail.status == status)


def status_counts() -> dict[MailStatus, int]:
    """How many mails of each status the outbox holds."""
    rows = db.session.execute(
        select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status))
    found = {status: count for status, count in rows}
    return {status: found.get(status, 0) for status in MailStatus}

