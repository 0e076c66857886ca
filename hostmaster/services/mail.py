"""Talking to the SMTP server of the mail settings (host, port, encryption, optional login),
and the texts of the mails the panel sends. Mails go out through the outbox
(hostmaster/services/outbox.py), which keeps each one with its status and last error."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from ..models import Site
from ..store_secrets import SecretsUnreadable
from . import settings

#: Seconds to wait for the SMTP server: a page that sends a mail waits this long at most.
SMTP_TIMEOUT = 10


def message(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text mail from the ``mail_from`` setting."""
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = str(settings.get("mail_from"))
    mail["To"] = to
    mail.set_content(body)
    return mail


def server_name() -> str:
    """The SMTP server as the settings name it, ``host:port``."""
    return f"{settings.get('smtp_host') or 'localhost'}:{settings.get('smtp_port') or 25}"


def _connect() -> smtplib.SMTP:
    """A connection to the SMTP server, encrypted and logged in as the settings say."""
    host = str(settings.get("smtp_host") or "localhost")
    port = int(settings.get("smtp_port") or 25)
    security = str(settings.get("smtp_security") or "none")
    username = str(settings.get("smtp_username") or "")
    # Read before connecting: a password the key file cannot decrypt opens no connection.
    password = str(settings.get("smtp_password") or "") if username else ""
    smtp: smtplib.SMTP
    if security == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    try:
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if username:
            smtp.login(username, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _reason(error: OSError | smtplib.SMTPException | SecretsUnreadable) -> str:
    """Why talking to the SMTP server failed, in words that name the server."""
    if isinstance(error, SecretsUnreadable):
        return (f"the password for the SMTP server {server_name()} cannot be read: "
                f"{str(error).rstrip('.')}")
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"the SMTP server {server_name()} refused the user name or password"
    if isinstance(error, smtplib.SMTPException):
        return f"the SMTP server {server_name()} refused it ({error})"
    return f"the SMTP server {server_name()} could not be reached ({error})"


def deliver(mail: EmailMessage) -> str | None:
    """Send ``mail`` through the SMTP settings; None when the server took it, else why not
    (the end of a sentence that names the server)."""
    try:
        with _connect() as smtp:
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException, SecretsUnreadable) as error:
        return _reason(error)
    return None


def check_connection() -> str | None:
    """Connect to the SMTP server (and log in) without sending anything; None when it answers,
    else why not."""
    try:
        with _connect() as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException, SecretsUnreadable) as error:
        return _reason(error)
    return None


def welcome_text(site: Site, login_link: str) -> tuple[str, str]:
    """The subject and body of ``site``'s welcome mail, with its one-time login link."""
    return (
        f"Your new site {site.uri} is ready",
        f"Hello,\n\n"
        f"Your new site {site.uri} is installed: http://{site.uri}/\n\n"
        f"Log in once with this link within 24 hours, then set your password:\n"
        f"{login_link}\n\n"
        f"If the link has expired, ask for a new one with the site's \"Reset password\" task.\n",
    )
