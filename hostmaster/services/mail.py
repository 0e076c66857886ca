"""Mail to people (the welcome mail of a new site, account mails), sent through the SMTP
settings."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from ..models import Site
from . import settings

SMTP_TIMEOUT = 20


def welcome_message(site: Site, login_link: str, to: str) -> EmailMessage:
    """The welcome mail of ``site``: its address and the one-time login link."""
    message = EmailMessage()
    message["Subject"] = f"Your new site {site.uri} is ready"
    message["From"] = str(settings.get("mail_from"))
    message["To"] = to
    message.set_content(
        f"Hello,\n\n"
        f"Your new site {site.uri} is installed: http://{site.uri}/\n\n"
        f"Log in once with this link within 24 hours, then set your password:\n"
        f"{login_link}\n\n"
        f"If the link has expired, ask for a new one with the site's \"Reset password\" task.\n"
    )
    return message


def send_welcome(site: Site, login_link: str) -> str | None:
    """Send the welcome mail to the site's client; None when sent, else a sentence saying
    what went wrong and what to do."""
    to = site.client.email if site.client is not None else ""
    if not to:
        return f"The welcome mail of {site.uri} was not sent: its client has no e-mail address."
    problem = deliver(welcome_message(site, login_link, to))
    if problem:
        return f"The welcome mail {problem}, then send the site's login link by hand."
    return None


def message(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text mail from the ``mail_from`` setting."""
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = str(settings.get("mail_from"))
    mail["To"] = to
    mail.set_content(body)
    return mail


def deliver(mail: EmailMessage) -> str | None:
    """Send ``mail`` through the SMTP settings; None when sent, else the end of a sentence
    ("to x could not be sent ... Check ...") for the caller to complete."""
    host = str(settings.get("smtp_host") or "localhost")
    port = int(settings.get("smtp_port") or 25)
    try:
        with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as smtp:
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        return (
            f"to {mail['To']} could not be sent through {host}:{port} ({exc}). "
            "Check the settings smtp_host and smtp_port"
        )
    return None
